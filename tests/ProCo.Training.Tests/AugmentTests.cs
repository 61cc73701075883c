using ProCo.Training.Augment;
using static TorchSharp.torch;

namespace ProCo.Training.Tests;

public class AugmentTests
{
    // A 20×20 gray test image: (7i + 3j) mod 100 + 60. Expected figures come from Pillow 9.4
    // (sum of all pixels, then pixels [5,7], [0,0], [19,19], [10,3]).
    private static Tensor GrayImage()
    {
        var values = new float[400];
        for (var i = 0; i < 20; i++)
            for (var j = 0; j < 20; j++) values[i * 20 + j] = (i * 7 + j * 3) % 100 + 60;
        return tensor(values, new long[] { 1, 1, 20, 20 });
    }

    private static Tensor RgbImage()
    {
        var gray = GrayImage();
        return cat([gray, (gray * 2).remainder(256), 255 - gray], 1);
    }

    private static void AssertPil(Tensor result, long sum, params float[] pixels)
    {
        var image = result[0, 0];
        Assert.Equal(sum, result.sum().to_type(ScalarType.Int64).item<long>());
        Assert.Equal(pixels, new[] { image[5, 7], image[0, 0], image[19, 19], image[10, 3] }.Select(t => t.item<float>()));
    }

    private static Tensor Factor(double f) => tensor(new[] { (float)f });

    [Fact] public void Equalize_MatchesPillow() => AssertPil(ImageOps.Equalize(GrayImage()), 68922, 237, 0, 255, 255);
    [Fact] public void AutoContrast_MatchesPillow() => AssertPil(ImageOps.AutoContrast(GrayImage()), 49519, 144, 0, 231, 203);
    [Fact] public void Contrast_MatchesPillow() => AssertPil(ImageOps.Contrast(GrayImage(), Factor(1.5)), 43250, 120, 36, 171, 154);
    [Fact] public void Sharpness_MatchesPillow() => AssertPil(ImageOps.Sharpness(GrayImage(), Factor(0.3)), 43291, 116, 60, 150, 139);
    [Fact] public void Posterize_MatchesPillow() => AssertPil(ImageOps.Posterize(GrayImage(), Factor(5)), 41880, 112, 56, 144, 136);
    [Fact] public void Solarize_MatchesPillow() => AssertPil(ImageOps.Solarize(GrayImage(), Factor(100)), 43735, 139, 60, 105, 116);

    [Fact]
    public void Color_And_Grayscale_MatchPillowOnRgb()
    {
        var color = ImageOps.Color(RgbImage(), Factor(0.4));
        Assert.Equal(160806, color.sum().to_type(ScalarType.Int64).item<long>());
        Assert.Equal(new float[] { 158, 205, 167 }, color[0, .., 5, 7].data<float>().ToArray());
        var gray = ImageOps.Gray(RgbImage());
        Assert.Equal(new float[] { 187 }, gray[0, .., 5, 7].data<float>().ToArray());
        Assert.Equal(new float[] { 68 }, gray[0, .., 10, 3].data<float>().ToArray());
    }

    [Fact]
    public void Affine_Identity_LeavesTheImageAndTranslateShiftsWholePixels()
    {
        var image = GrayImage();
        var identity = ImageOps.Affine(image, tensor(new float[] { 1, 0, 0, 0, 1, 0 }).view(1, 6), nearest: true);
        Assert.True(identity.eq(image).all().item<bool>());
        // input = (u + 3, v): output column u shows input column u + 3; the last 3 columns get the fill.
        var shifted = ImageOps.Affine(image, tensor(new float[] { 1, 0, 3, 0, 1, 0 }).view(1, 6), nearest: true);
        Assert.True(shifted[.., .., .., 0..17].eq(image[.., .., .., 3..20]).all().item<bool>());
        Assert.True(shifted[.., .., .., 17..].eq(ImageOps.Fill).all().item<bool>());
    }

    // Pillow 9.4: image.crop((5, 3, 14, 10)).resize((20, 20), Image.BILINEAR), as torchvision's
    // RandomResizedCrop does it on PIL images (its rows near the box's edge take the edge pixels).
    private const string PillowResizedCrop = "96 97 98 99 101 102 103 105 106 107 109 110 111 113 114 115 117 118 119 120 96 97 98 99 101 102 103 105 106 107 109 110 111 113 114 115 117 118 119 120 99 100 101 102 104 105 106 108 109 110 112 113 114 116 117 118 120 121 122 123 101 102 103 104 106 107 108 110 111 112 114 115 116 118 119 120 122 123 124 125 104 105 106 107 109 110 111 113 114 115 117 118 119 121 122 123 125 126 127 128 106 107 108 109 111 112 113 115 116 117 119 120 121 123 124 125 127 128 129 130 108 109 110 111 113 114 115 117 118 119 121 122 123 125 126 127 129 130 131 132 111 112 113 114 116 117 118 120 121 122 124 125 126 128 129 130 132 133 134 135 113 114 115 116 118 119 120 122 123 124 126 127 128 130 131 132 134 135 136 137 116 117 118 119 121 122 123 125 126 127 129 130 131 133 134 135 137 138 139 140 118 119 120 121 123 124 125 127 128 129 131 132 133 135 136 137 139 140 141 142 121 122 123 124 126 127 128 130 131 132 134 135 136 138 139 140 142 143 144 145 123 124 125 126 128 129 130 132 133 134 136 137 138 140 141 142 144 145 146 147 126 127 128 129 131 132 133 135 136 137 139 140 141 143 144 145 147 148 149 150 128 129 130 131 133 134 135 137 138 139 141 142 143 145 146 147 149 150 151 152 130 131 132 133 135 136 137 139 140 141 143 144 145 147 148 149 151 152 153 154 133 134 135 136 138 139 140 142 143 144 146 147 148 150 151 152 154 145 133 129 135 136 137 138 140 141 142 144 145 146 148 149 150 152 153 154 156 134 107 97 138 139 140 141 143 144 145 147 148 149 151 152 153 155 156 157 159 124 81 64 138 139 140 141 143 144 145 147 148 149 151 152 153 155 156 157 159 123 79 62";

    [Fact]
    public void ResizedCrop_MatchesPillowsCropAndBilinearResize()
    {
        var expected = PillowResizedCrop.Split(' ').Select(float.Parse).ToArray();
        var actual = Augmenter.ResizedCrop(GrayImage(), top: 3, left: 5, height: 7, width: 9).flatten().data<float>().ToArray();
        // Pillow resamples in fixed point: at most one grey level apart, and the same almost everywhere.
        Assert.All(expected.Zip(actual), p => Assert.InRange(System.Math.Abs(p.First - p.Second), 0, 1));
        var equal = expected.Zip(actual).Count(p => p.First == p.Second);
        Assert.True(equal >= 300, $"{equal} of 400 pixels equal");
    }

    [Fact]
    public void RandomCrop_IsAWindowOfTheZeroPaddedImage()
    {
        var image = GrayImage().expand(16, 1, 20, 20).contiguous();
        var cropped = Augmenter.RandomCrop(image, 4, new Random(5));
        var padded = nn.functional.pad(image, [4, 4, 4, 4]);
        var offsets = new HashSet<(int, int)>();
        for (var b = 0; b < 16; b++)
        {
            var found = false;
            for (var dy = 0; dy <= 8 && !found; dy++)
                for (var dx = 0; dx <= 8 && !found; dx++)
                    if (cropped[b].eq(padded[b, .., dy..(dy + 20), dx..(dx + 20)]).all().item<bool>()) { found = true; offsets.Add((dy, dx)); }
            Assert.True(found, $"image {b} is not a window of the padded image");
        }
        Assert.True(offsets.Count > 4, "each image should draw its own offset");
    }

    [Fact]
    public void Views_OfIdenticalImages_DifferPerImageAndAreNormalised()
    {
        using var augmenter = new Augmenter([0.5, 0.5, 0.5], [0.25, 0.25, 0.25], CPU);
        var batch = RgbImage().expand(8, 3, 20, 20).to_type(ScalarType.Byte).contiguous();
        var generator = new Generator(3);
        var random = new Random(3);
        foreach (var view in new[] { augmenter.RegularView(batch, random, generator), augmenter.ContrastiveView(batch, random, generator) })
        {
            Assert.Equal([8L, 3, 20, 20], view.shape);
            var distinct = Enumerable.Range(1, 7).Count(i => !view[i].allclose(view[0]));
            Assert.True(distinct >= 6, $"only {distinct} of 7 images differ from the first");
            // Normalised 0..255 values lie in [(0 − 127.5)/63.75, (255 − 127.5)/63.75] = [−2, 2].
            Assert.True(view.min().item<float>() >= -2.0001f && view.max().item<float>() <= 2.0001f);
        }
    }

    [Fact]
    public void HueShift_ByAThird_RotatesPrimaries()
    {
        var red = tensor(new float[] { 255, 0, 0 }).view(1, 3, 1, 1);
        var shifted = Augmenter.HueShift(red, tensor(new[] { 1f / 3 }));
        Assert.Equal(new float[] { 0, 255, 0 }, shifted.flatten().data<float>().ToArray());
        var same = Augmenter.HueShift(RgbImage(), tensor(new[] { 0f }));
        Assert.True((same - RgbImage()).abs().max().item<float>() <= 1);
    }

    [Fact]
    public void Cutout_ZeroesASquareOfAtMost16By16()
    {
        var ones = TorchSharp.torch.ones(6, 1, 32, 32) * 7;
        var cut = Augmenter.Cutout(ones, 16, new Random(1));
        for (var b = 0; b < 6; b++)
        {
            var zeroed = cut[b].eq(0).sum().item<long>();
            Assert.InRange(zeroed, 64, 256);
        }
    }
}
