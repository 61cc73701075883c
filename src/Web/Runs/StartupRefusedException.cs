namespace ProCo.Web.Runs;

/// <summary>The server refuses to start as configured; the message says how to fix it.</summary>
public sealed class StartupRefusedException(string message) : Exception(message);
