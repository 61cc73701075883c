// MSBuild inline task (compiled by RoslynCodeTaskFactory): marks one GLIBCXX version requirement
// of libLibTorchSharp.so weak when the host's libstdc++ does not provide it. See TorchSharpNative.targets.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;

public class WeakenGlibcxxRequirement : Microsoft.Build.Utilities.Task
{
    public string Folder { get; set; }
    public string VersionName { get; set; }

    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    static readonly string[] LibstdcxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6",
    };

    public override bool Execute()
    {
        if (!Directory.Exists(Folder)) return true;
        var libraries = Directory.GetFiles(Folder, "libLibTorchSharp.so", SearchOption.AllDirectories);
        if (libraries.Length == 0) return true;

        string hostLib = null;
        foreach (var candidate in LibstdcxxCandidates)
        {
            if (File.Exists(candidate)) { hostLib = candidate; break; }
        }
        if (hostLib == null)
        {
            Log.LogMessage(MessageImportance.High, "ProCo: no system libstdc++.so.6 found; leaving libLibTorchSharp.so as shipped.");
            return true;
        }
        if (Contains(File.ReadAllBytes(hostLib), Encoding.ASCII.GetBytes(VersionName + "\0")))
        {
            // GCC 13+ hosts (Ubuntu 24.04, Debian 13, the Docker image) need nothing.
            return true;
        }

        foreach (var library in libraries)
        {
            try
            {
                var result = Patch(library);
                Log.LogMessage(MessageImportance.High, "ProCo: " + library + ": " + result);
            }
            catch (Exception e)
            {
                Log.LogError("ProCo: could not patch " + library + " for this host's libstdc++ (" + hostLib + " lacks " + VersionName + "): " + e.Message);
                return false;
            }
        }
        return true;
    }

    string Patch(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (bytes[4] != 2 || bytes[5] != 1)
            throw new InvalidDataException("not a little-endian 64-bit ELF file");

        ulong shoff = BitConverter.ToUInt64(bytes, 0x28);
        int shentsize = BitConverter.ToUInt16(bytes, 0x3A);
        int shnum = BitConverter.ToUInt16(bytes, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)shoff + i * shentsize);
            if (BitConverter.ToUInt32(bytes, sh + 4) != ShtGnuVerneed) continue;
            int offset = checked((int)BitConverter.ToUInt64(bytes, sh + 0x18));
            int link = (int)BitConverter.ToUInt32(bytes, sh + 0x28);
            int entries = (int)BitConverter.ToUInt32(bytes, sh + 0x2C);
            int strtab = checked((int)BitConverter.ToUInt64(bytes, checked((int)shoff + link * shentsize) + 0x18));

            // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32.
            int need = offset;
            for (int n = 0; n < entries; n++)
            {
                int count = BitConverter.ToUInt16(bytes, need + 2);
                int aux = need + (int)BitConverter.ToUInt32(bytes, need + 8);
                // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
                for (int a = 0; a < count; a++)
                {
                    string name = ReadString(bytes, strtab + (int)BitConverter.ToUInt32(bytes, aux + 8));
                    if (name == VersionName)
                    {
                        ushort flags = BitConverter.ToUInt16(bytes, aux + 4);
                        if ((flags & VerFlgWeak) != 0) return VersionName + " requirement already weak";
                        flags |= VerFlgWeak;
                        bytes[aux + 4] = (byte)(flags & 0xff);
                        bytes[aux + 5] = (byte)(flags >> 8);
                        // Write beside and rename, so a hard-linked or concurrently read copy is never half-written.
                        var temp = path + ".proco-tmp";
                        File.WriteAllBytes(temp, bytes);
                        File.Replace(temp, path, null);
                        return "marked the " + VersionName + " requirement weak (this host's libstdc++ predates GCC 13)";
                    }
                    aux += (int)BitConverter.ToUInt32(bytes, aux + 12);
                }
                need += (int)BitConverter.ToUInt32(bytes, need + 12);
            }
        }
        return "no " + VersionName + " requirement; nothing to do";
    }

    static string ReadString(byte[] bytes, int start)
    {
        int end = start;
        while (end < bytes.Length && bytes[end] != 0) end++;
        return Encoding.ASCII.GetString(bytes, start, end - start);
    }

    static bool Contains(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }
}
