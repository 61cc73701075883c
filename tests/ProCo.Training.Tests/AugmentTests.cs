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
        // 85/255 of the circle: the hue byte moves by 85, a third of 255.
        var shifted = Augmenter.HueShift(red, tensor(new[] { 85f / 255 }));
        Assert.Equal(new float[] { 0, 255, 0 }, shifted.flatten().data<float>().ToArray());
        // Grey pixels have no hue: any shift leaves them as they are.
        var grey = GrayImage().expand(1, 3, 20, 20).contiguous();
        Assert.True(Augmenter.HueShift(grey, tensor(new[] { 0.08f })).equal(grey).all().item<bool>());
    }

    // Pillow 9.4 as torchvision's adjust_hue does it on PIL images: convert('HSV'), the hue byte plus
    // np.uint8(factor · 255) with wrap-around, back to RGB. Channels, then rows.
    private const string PillowHuePlus007 = "60 63 67 69 72 76 78 81 84 87 90 93 96 99 102 105 108 111 114 117 67 70 74 77 79 82 85 88 91 94 97 100 103 106 109 112 115 118 121 124 75 77 80 84 86 89 92 95 98 101 104 107 110 113 116 119 122 125 128 131 81 84 87 90 93 96 99 102 105 108 111 114 117 120 123 126 129 132 135 138 88 91 94 97 100 103 106 109 112 115 118 121 124 127 130 133 136 139 142 145 95 98 101 104 107 110 113 116 119 122 125 128 131 134 137 140 143 146 149 152 102 105 108 111 114 117 120 123 126 129 132 135 138 141 144 147 150 153 156 159 109 112 115 118 121 124 127 130 133 136 139 142 145 148 151 154 157 60 63 67 116 119 122 125 128 131 134 137 140 143 146 149 152 155 158 62 64 67 70 74 123 126 129 132 135 138 141 144 147 150 153 156 159 62 66 68 71 75 77 80 130 133 136 139 142 145 148 151 154 157 60 63 67 69 72 76 78 81 84 87 137 140 143 146 149 152 155 158 62 64 67 70 74 77 79 82 85 88 91 94 144 147 150 153 156 159 62 66 68 71 75 77 80 84 86 89 92 95 98 101 151 154 157 60 63 67 69 72 76 78 81 84 87 90 93 96 99 102 105 108 158 62 64 67 70 74 77 79 82 85 88 91 94 97 100 103 106 109 112 115 66 68 71 75 77 80 84 86 89 92 95 98 101 104 107 110 113 116 119 122 72 76 78 81 84 87 90 93 96 99 102 105 108 111 114 117 120 123 126 129 79 82 85 88 91 94 97 100 103 106 109 112 115 118 121 124 127 130 133 136 86 89 92 95 98 101 104 107 110 113 116 119 122 125 128 131 134 137 140 143 93 96 99 102 105 108 111 114 117 120 123 126 129 132 135 138 141 144 147 150 67 75 84 94 101 110 118 127 135 146 160 174 189 198 204 210 216 222 228 234 87 95 104 113 120 129 137 150 164 178 193 200 206 212 218 224 230 236 242 248 107 115 123 131 141 156 170 182 196 202 208 214 220 226 232 238 244 250 0 6 127 135 146 160 174 189 198 204 210 216 222 228 234 240 246 252 2 8 14 20 150 164 178 193 200 206 212 218 224 230 236 242 248 254 4 10 16 22 28 34 182 196 202 208 214 220 226 232 238 244 250 0 6 12 18 24 30 36 42 48 204 210 216 222 228 234 240 246 252 2 8 14 20 27 32 38 44 50 56 65 218 224 230 236 242 248 254 4 10 16 22 28 34 40 46 53 58 67 75 84 232 238 244 250 0 6 12 18 24 30 36 42 48 54 60 71 79 87 95 104 246 252 2 8 14 20 27 32 38 44 50 56 65 74 83 91 98 107 115 123 4 10 16 22 28 34 40 46 53 58 67 75 84 94 101 110 118 127 135 146 18 24 30 36 42 48 54 60 71 79 87 95 104 113 120 129 137 150 164 178 32 38 44 50 56 65 74 83 91 98 107 115 123 131 141 156 170 182 196 202 46 53 58 67 75 84 94 101 110 118 127 135 146 160 174 189 198 204 210 216 60 71 79 87 95 104 113 120 129 137 150 164 178 193 200 206 212 218 224 230 83 91 98 107 115 123 131 141 156 170 182 196 202 208 214 220 226 232 238 244 101 110 118 127 135 146 160 174 189 198 204 210 216 222 228 234 240 246 252 2 120 129 137 150 164 178 193 200 206 212 218 224 230 236 242 248 254 4 10 16 141 156 170 182 196 202 208 214 220 226 232 238 244 250 0 6 12 18 24 30 174 189 198 204 210 216 222 228 234 240 246 252 2 8 14 20 27 32 38 44 195 192 189 186 183 180 177 174 171 174 180 186 192 195 193 192 189 187 187 183 188 185 182 179 176 173 170 176 182 188 194 194 193 191 189 186 186 182 181 180 181 178 175 172 172 178 184 190 195 194 192 190 188 185 184 184 180 178 78 77 174 171 174 180 186 192 195 193 192 189 187 187 183 182 181 180 77 75 74 70 176 182 188 194 194 193 191 189 186 186 182 181 180 178 75 74 72 72 68 68 190 195 194 192 190 188 185 184 184 180 178 78 77 72 71 70 67 67 65 63 193 192 189 187 187 183 182 181 180 77 75 74 70 70 66 66 64 62 61 62 189 186 186 182 181 180 178 75 74 72 72 68 68 65 63 62 61 195 192 189 184 184 180 178 78 77 72 71 70 67 67 65 63 61 60 194 191 188 185 182 181 180 77 75 74 70 70 66 66 64 62 61 62 193 190 187 184 181 178 175 75 74 72 72 68 68 65 63 62 61 195 192 189 186 183 180 177 174 171 174 71 70 67 67 65 63 61 60 194 191 188 185 182 179 176 173 170 176 182 188 66 66 64 62 61 62 193 190 187 184 181 178 175 172 172 178 184 190 195 194 63 62 61 195 192 189 186 183 180 177 174 171 174 180 186 192 195 193 192 189 60 194 191 188 185 182 179 176 173 170 176 182 188 194 194 193 191 189 186 186 190 187 184 181 178 175 172 172 178 184 190 195 194 192 190 188 185 184 184 180 183 180 177 174 171 174 180 186 192 195 193 192 189 187 187 183 182 181 180 77 176 173 170 176 182 188 194 194 193 191 189 186 186 182 181 180 178 75 74 72 172 178 184 190 195 194 192 190 188 185 184 184 180 178 78 77 72 71 70 67 186 192 195 193 192 189 187 187 183 182 181 180 77 75 74 70 70 66 66 64";
    private const string PillowHueMinus005 = "60 63 67 69 72 76 78 81 84 87 90 93 96 99 102 105 108 111 120 131 67 70 74 77 79 82 85 88 91 94 97 100 103 106 109 115 124 135 144 154 75 77 80 84 86 89 92 95 98 101 104 107 110 119 127 136 148 158 90 100 81 84 87 90 93 96 99 102 105 108 111 120 131 140 149 159 95 104 114 126 88 91 94 97 100 103 106 109 115 124 135 144 154 163 99 108 118 127 138 145 95 98 101 104 107 110 119 127 136 148 158 90 100 112 122 130 142 146 149 152 102 105 108 111 120 131 140 149 159 95 104 114 126 134 144 147 150 153 156 159 109 115 124 135 144 154 163 99 108 118 127 138 145 148 151 154 157 60 63 67 127 136 148 158 90 100 112 122 130 142 146 149 152 155 158 62 64 67 70 74 149 159 95 104 114 126 134 144 147 150 153 156 159 62 66 68 71 75 77 80 99 108 118 127 138 145 148 151 154 157 60 63 67 69 72 76 78 81 84 87 122 130 142 146 149 152 155 158 62 64 67 70 74 77 79 82 85 88 91 94 144 147 150 153 156 159 62 66 68 71 75 77 80 84 86 89 92 95 98 101 151 154 157 60 63 67 69 72 76 78 81 84 87 90 93 96 99 102 105 108 158 62 64 67 70 74 77 79 82 85 88 91 94 97 100 103 106 109 115 124 66 68 71 75 77 80 84 86 89 92 95 98 101 104 107 110 119 127 136 148 72 76 78 81 84 87 90 93 96 99 102 105 108 111 120 131 140 149 159 95 79 82 85 88 91 94 97 100 103 106 109 115 124 135 144 154 163 99 108 118 86 89 92 95 98 101 104 107 110 119 127 136 148 158 90 100 112 122 130 142 93 96 99 102 105 108 111 120 131 140 149 159 95 104 114 126 134 144 147 150 159 163 167 174 176 180 177 174 171 174 180 186 192 198 204 210 216 222 228 234 170 173 178 179 176 173 170 176 182 188 194 200 206 212 218 224 230 236 242 248 180 178 175 172 172 178 184 190 196 202 208 214 220 226 232 238 244 250 0 6 174 171 174 180 186 192 198 204 210 216 222 228 234 240 246 252 2 8 14 20 176 182 188 194 200 206 212 218 224 230 236 242 248 254 4 10 16 22 28 34 190 196 202 208 214 220 226 232 238 244 250 0 6 12 18 24 30 36 42 48 204 210 216 222 228 234 240 246 252 2 8 14 20 27 32 38 44 50 56 62 218 224 230 236 242 248 254 4 10 16 22 28 34 40 46 53 58 159 163 167 232 238 244 250 0 6 12 18 24 30 36 42 48 54 60 161 166 170 173 178 246 252 2 8 14 20 27 32 38 44 50 56 62 164 168 172 175 180 178 175 4 10 16 22 28 34 40 46 53 58 159 163 167 174 176 180 177 174 171 174 18 24 30 36 42 48 54 60 161 166 170 173 178 179 176 173 170 176 182 188 32 38 44 50 56 62 164 168 172 175 180 178 175 172 172 178 184 190 196 202 46 53 58 159 163 167 174 176 180 177 174 171 174 180 186 192 198 204 210 216 60 161 166 170 173 178 179 176 173 170 176 182 188 194 200 206 212 218 224 230 168 172 175 180 178 175 172 172 178 184 190 196 202 208 214 220 226 232 238 244 176 180 177 174 171 174 180 186 192 198 204 210 216 222 228 234 240 246 252 2 176 173 170 176 182 188 194 200 206 212 218 224 230 236 242 248 254 4 10 16 172 178 184 190 196 202 208 214 220 226 232 238 244 250 0 6 12 18 24 30 186 192 198 204 210 216 222 228 234 240 246 252 2 8 14 20 27 32 38 44 195 192 189 186 183 179 169 158 148 142 139 135 130 127 124 120 116 111 114 117 188 185 182 175 166 155 145 142 138 134 129 126 123 119 115 112 115 118 121 124 181 172 163 152 145 139 135 133 128 125 121 117 113 113 116 119 122 125 128 131 158 148 142 139 135 130 127 124 120 116 111 114 117 120 123 126 129 132 135 138 142 138 134 129 126 123 119 115 112 115 118 121 124 127 130 133 136 139 142 144 133 128 125 121 117 113 113 116 119 122 125 128 131 134 137 140 143 142 138 134 124 120 116 111 114 117 120 123 126 129 132 135 138 141 143 141 136 132 129 124 115 112 115 118 121 124 127 130 133 136 139 142 144 139 135 131 128 195 192 189 116 119 122 125 128 131 134 137 140 143 142 138 134 130 127 194 191 188 185 182 123 126 129 132 135 138 141 143 141 136 132 129 124 193 190 187 184 181 172 163 130 133 136 139 142 144 139 135 131 128 195 192 189 186 183 179 169 158 148 142 137 140 143 142 138 134 130 127 194 191 188 185 182 175 166 155 145 142 138 134 143 141 136 132 129 124 193 190 187 184 181 172 163 152 145 139 135 133 128 125 135 131 128 195 192 189 186 183 179 169 158 148 142 139 135 130 127 124 120 116 127 194 191 188 185 182 175 166 155 145 142 138 134 129 126 123 119 115 112 115 190 187 184 181 172 163 152 145 139 135 133 128 125 121 117 113 113 116 119 122 183 179 169 158 148 142 139 135 130 127 124 120 116 111 114 117 120 123 126 129 166 155 145 142 138 134 129 126 123 119 115 112 115 118 121 124 127 130 133 136 145 139 135 133 128 125 121 117 113 113 116 119 122 125 128 131 134 137 140 143 135 130 127 124 120 116 111 114 117 120 123 126 129 132 135 138 141 143 141 136";

    [Theory]
    [InlineData(0.07, PillowHuePlus007)]
    [InlineData(-0.05, PillowHueMinus005)]
    public void HueShift_IsPillowsByteForByte(double factor, string pillow)
    {
        var expected = pillow.Split(' ').Select(float.Parse).ToArray();
        var actual = Augmenter.HueShift(RgbImage(), tensor(new[] { (float)factor })).flatten().data<float>().ToArray();
        Assert.Equal(expected, actual);
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
