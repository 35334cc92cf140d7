// Preprocessing: build a camera frame's conversion into the model with PrePostProcessor (the C++
// twin of preprocessing.py: the same sections, the same observations; the host route is written
// in plain loops where the Python one uses numpy).
//
// Run it yourself:  python scripts/cpp.py run guide/preprocessing --device CPU --model mobilenet
// (--model also takes your own .xml or .onnx image model with one static NCHW f32 input.)
#include "snippet.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

using perfguide::json;

namespace {

constexpr int FRAMES = 30;  // small counts keep the example quick; the harness measures for real
constexpr size_t CAMERA_HEIGHT = 720, CAMERA_WIDTH = 1280;  // the frames a 720p camera delivers
// ImageNet's per-channel mean and standard deviation, RGB order, in 0..255 pixel units.
const std::vector<float> MEAN = {123.675f, 116.28f, 103.53f};
const std::vector<float> STD = {58.395f, 57.12f, 57.375f};

json run(const perfguide::Args& args) {
    const std::string model_path = args.model;
    const std::string device = args.device;
    json result = {{"device", device}, {"camera", {CAMERA_HEIGHT, CAMERA_WIDTH}}};

    // --8<-- [start:read-model]
    ov::Core core;
    std::shared_ptr<ov::Model> model = core.read_model(model_path);
    std::cout << "the model wants: " << model->input(0) << std::endl;
    // --8<-- [end:read-model]
    const ov::PartialShape image_shape = model->input(0).get_partial_shape();
    if (image_shape.is_dynamic() || image_shape.size() != 4 || image_shape[1] != 3 ||
        model->input(0).get_element_type() != ov::element::f32)
        throw perfguide::UsageError(
            "this page needs an image model with one static f32 NCHW 3-channel input: " +
            model_path);
    const ov::Shape input_shape = model->input(0).get_shape();
    const size_t height = input_shape[2], width = input_shape[3];

    // --8<-- [start:numpy-preprocessing]
    // Source rows (or columns) and weights of a half-pixel bilinear resize, no
    // antialiasing.
    struct Taps {
        std::vector<size_t> low, high;
        std::vector<float> weight;
    };
    auto bilinear_taps = [](size_t size_in, size_t size_out) {
        Taps taps;
        for (size_t i = 0; i < size_out; ++i) {
            double position = (i + 0.5) * size_in / size_out - 0.5;
            position = std::clamp(position, 0.0, double(size_in - 1));
            auto low = size_t(std::floor(position));
            taps.low.push_back(low);
            taps.high.push_back(std::min(low + 1, size_in - 1));
            taps.weight.push_back(float(position - low));
        }
        return taps;
    };

    // A camera's u8 BGR NHWC frame -> the model's f32 RGB NCHW input, normalized,
    // written straight into `input`.
    auto preprocess = [&](const ov::Tensor& frame, ov::Tensor& input) {
        const size_t frame_width = frame.get_shape()[2];
        const Taps rows = bilinear_taps(frame.get_shape()[1], height);
        const Taps cols = bilinear_taps(frame_width, width);
        const uint8_t* pixels = frame.data<const uint8_t>();
        float* out = input.data<float>();
        // Resize first, reading only the rows it needs: the later steps see
        // height x width pixels.
        for (size_t y = 0; y < height; ++y) {
            const uint8_t* top = pixels + rows.low[y] * frame_width * 3;
            const uint8_t* bottom = pixels + rows.high[y] * frame_width * 3;
            const float fy = rows.weight[y];
            for (size_t x = 0; x < width; ++x) {
                const size_t left = cols.low[x] * 3, right = cols.high[x] * 3;
                const float fx = cols.weight[x];
                for (size_t c = 0; c < 3; ++c) {
                    float l = top[left + c] * (1 - fy) + bottom[left + c] * fy;
                    float r = top[right + c] * (1 - fy) + bottom[right + c] * fy;
                    float value = l * (1 - fx) + r * fx;
                    size_t rgb = 2 - c;  // BGR -> RGB, then normalized, channels first
                    float normalized = (value - MEAN[rgb]) / STD[rgb];
                    out[(rgb * height + y) * width + x] = normalized;
                }
            }
        }
    };
    // --8<-- [end:numpy-preprocessing]

    // --8<-- [start:build-preprocessing]
    using ov::preprocess::ColorFormat;
    using ov::preprocess::ResizeAlgorithm;
    // The model, taking the camera's frames as they come: every step above is
    // inside it.
    auto with_preprocessing = [](std::shared_ptr<ov::Model> model, size_t frame_height,
                                 size_t frame_width, bool resize_first = true) {
        // build() changes this model in place and returns it.
        ov::preprocess::PrePostProcessor ppp(model);
        // What the application hands over: one u8 BGR frame, height x width x channels.
        ppp.input()
            .tensor()
            .set_element_type(ov::element::u8)
            .set_layout("NHWC")
            .set_color_format(ColorFormat::BGR)
            .set_spatial_static_shape(frame_height, frame_width);
        // What the network was trained on: f32 NCHW, at its own size.
        ppp.input().model().set_layout("NCHW");
        // The steps in between. Each runs on the tensor as the step before left it,
        // so resizing first makes every later step touch height x width pixels
        // instead of the whole frame.
        ov::preprocess::PreProcessSteps& steps = ppp.input().preprocess();
        if (resize_first) {
            steps.resize(ResizeAlgorithm::RESIZE_LINEAR)
                .convert_color(ColorFormat::RGB)
                .convert_element_type(ov::element::f32);
        } else {  // the order a host pipeline is usually written in
            steps.convert_element_type(ov::element::f32)
                .convert_color(ColorFormat::RGB)
                .resize(ResizeAlgorithm::RESIZE_LINEAR);
        }
        // The layout change to NCHW is added where it is needed.
        steps.mean(MEAN).scale(STD);
        return ppp.build();
    };

    std::shared_ptr<ov::Model> camera_model =
        with_preprocessing(core.read_model(model_path), CAMERA_HEIGHT, CAMERA_WIDTH);
    std::cout << "the model with preprocessing takes: " << camera_model->input(0)
              << std::endl;
    // --8<-- [end:build-preprocessing]
    auto input_of = [](const std::shared_ptr<ov::Model>& each) {
        return json{{"type", each->input(0).get_element_type().get_type_name()},
                    {"shape", perfguide::shape_json(each->input(0).get_shape())}};
    };
    result["camera_model_input"] = input_of(camera_model);

    // --8<-- [start:end-to-end]
    const ov::AnyMap config = {
        ov::hint::performance_mode(ov::hint::PerformanceMode::LATENCY)};
    ov::InferRequest f32_request =
        core.compile_model(model, device, config).create_infer_request();
    ov::InferRequest camera_request =
        core.compile_model(camera_model, device, config).create_infer_request();

    std::vector<ov::Tensor> camera_frames;  // u8, 1 x 720 x 1280 x 3
    for (uint32_t seed = 0; seed < 4; ++seed)
        camera_frames.push_back(perfguide::random_tensor(
            {1, CAMERA_HEIGHT, CAMERA_WIDTH, 3}, ov::element::u8, seed));

    // Median time of `step` on a frame: one busy moment of the machine does not
    // move it.
    auto ms_per_frame = [&](const std::function<void(const ov::Tensor&)>& step) {
        // The first inference is slower: keep it out of the timing.
        step(camera_frames[0]);
        std::vector<double> times;
        for (int i = 0; i < FRAMES; ++i) {
            auto start = perfguide::Clock::now();
            step(camera_frames[i % camera_frames.size()]);
            times.push_back(perfguide::seconds_since(start));
        }
        return perfguide::median(times) * 1000;
    };

    ov::Tensor f32_input = f32_request.get_input_tensor();
    double host_ms = ms_per_frame([&](const ov::Tensor& frame) {
        preprocess(frame, f32_input);  // into the request's own input tensor
        f32_request.infer();
    });
    double in_model_ms = ms_per_frame([&](const ov::Tensor& frame) {
        camera_request.set_input_tensor(frame);  // the camera's bytes, as they are
        camera_request.infer();
    });
    std::printf("end to end, host preprocessing + f32 model: %.1f frames/s\n",
                1000 / host_ms);
    std::printf("end to end, u8 frames into the model with preprocessing: "
                "%.1f frames/s\n", 1000 / in_model_ms);
    // --8<-- [end:end-to-end]
    result["numpy_end_to_end_ms"] = host_ms;
    result["in_model_end_to_end_ms"] = in_model_ms;
    result["numpy_end_to_end_fps"] = 1000 / host_ms;
    result["in_model_end_to_end_fps"] = 1000 / in_model_ms;

    // --8<-- [start:where-the-time-goes]
    ov::Tensor small_input(ov::element::f32, input_shape);
    double preprocess_ms =
        ms_per_frame([&](const ov::Tensor& frame) { preprocess(frame, small_input); });
    f32_request.set_input_tensor(small_input);  // a frame already prepared
    double inference_ms = ms_per_frame([&](const ov::Tensor&) { f32_request.infer(); });
    std::shared_ptr<ov::Model> host_order_model = with_preprocessing(
        core.read_model(model_path), CAMERA_HEIGHT, CAMERA_WIDTH, false);
    ov::InferRequest host_order_request =
        core.compile_model(host_order_model, device, config).create_infer_request();
    double resize_last_ms = ms_per_frame([&](const ov::Tensor& frame) {
        host_order_request.set_input_tensor(frame);
        host_order_request.infer();
    });
    std::printf("host preprocessing alone: %.1f ms, inference alone: %.1f ms\n",
                preprocess_ms, inference_ms);
    std::printf("in the model, resizing first: %.1f ms a frame; "
                "resizing last: %.1f ms\n", in_model_ms, resize_last_ms);
    // --8<-- [end:where-the-time-goes]
    result["numpy_preprocess_ms"] = preprocess_ms;
    result["inference_only_ms"] = inference_ms;
    result["in_model_resize_last_ms"] = resize_last_ms;
    result["in_model_resize_last_fps"] = 1000 / resize_last_ms;

    // --8<-- [start:save]
    perfguide::TempDir folder;  // removed, with what is in it, at the end of the scope
    const std::string saved_path = (folder.path / "camera_model.xml").string();
    // compress_to_fp16 = false keeps the f32 weights as they are (the default
    // stores them as f16).
    ov::save_model(camera_model, saved_path, /*compress_to_fp16=*/false);
    std::shared_ptr<ov::Model> reloaded = core.read_model(saved_path);
    std::cout << "saved and read back, it still takes: " << reloaded->input(0)
              << std::endl;
    ov::InferRequest reloaded_request =
        core.compile_model(reloaded, device, config).create_infer_request();
    reloaded_request.set_input_tensor(camera_frames[0]);
    reloaded_request.infer();
    // --8<-- [end:save]
    result["saved_model_input"] = input_of(reloaded);
    camera_request.set_input_tensor(camera_frames[0]);
    camera_request.infer();
    result["saved_vs_in_memory_max_abs"] = perfguide::max_abs_diff(
        reloaded_request.get_output_tensor(), camera_request.get_output_tensor());

    // Checks, not shown: do both routes compute the same thing? Run both in f32 (ACCURACY mode) so
    // that the device's lower default precision does not blur a comparison of the preprocessing.
    const ov::AnyMap exact = {ov::hint::execution_mode(ov::hint::ExecutionMode::ACCURACY)};
    ov::InferRequest f32_exact = core.compile_model(model, device, exact).create_infer_request();
    ov::Tensor prepared(ov::element::f32, input_shape);
    f32_exact.set_input_tensor(prepared);

    // The largest output difference between the two routes over `test_frames`, and the share of
    // outputs whose top-1 class agrees.
    auto largest_difference = [&](const std::shared_ptr<ov::Model>& ppp_model,
                                  const std::vector<ov::Tensor>& test_frames) {
        ov::InferRequest request =
            core.compile_model(ppp_model, device, exact).create_infer_request();
        double worst = 0;
        size_t rows = 0, agree = 0;
        for (const ov::Tensor& frame : test_frames) {
            preprocess(frame, prepared);
            f32_exact.infer();
            request.set_input_tensor(frame);
            request.infer();
            const ov::Tensor by_host = f32_exact.get_output_tensor();
            const ov::Tensor by_model = request.get_output_tensor();
            worst = std::max(worst, perfguide::max_abs_diff(by_model, by_host));
            const size_t classes = by_host.get_shape().back();
            const float* a = by_model.data<const float>();
            const float* b = by_host.data<const float>();
            for (size_t row = 0; row < by_host.get_size(); row += classes, ++rows)
                agree += std::max_element(a + row, a + row + classes) - a ==
                         std::max_element(b + row, b + row + classes) - b;
        }
        return std::make_pair(worst, double(agree) / double(rows));
    };

    // 1. Frames already at the model's size: the resize is the identity, so the routes differ only
    //    in the order of floating-point operations.
    std::vector<ov::Tensor> small_frames;
    for (uint32_t seed = 4; seed < 6; ++seed)
        small_frames.push_back(
            perfguide::random_tensor({1, height, width, 3}, ov::element::u8, seed));
    result["identity_resize_max_abs"] =
        largest_difference(with_preprocessing(core.read_model(model_path), height, width),
                           small_frames)
            .first;
    // 2. Camera frames, resized last (in f32): the same half-pixel bilinear formula as the host
    //    code, but OpenVINO's kernel sums in its own order: they differ by rounding.
    auto [f32_resize, f32_agreement] = largest_difference(host_order_model, camera_frames);
    result["camera_f32_resize_max_abs"] = f32_resize;
    result["camera_f32_resize_top1_agreement"] = f32_agreement;
    // 3. Camera frames, resized first (in u8): each resized pixel is rounded to a whole grey level,
    //    up to half a level (0.5 / 57 after scaling) away from the host code's f32 value.
    auto [u8_resize, u8_agreement] = largest_difference(camera_model, camera_frames);
    result["camera_u8_resize_max_abs"] = u8_resize;
    result["camera_u8_resize_top1_agreement"] = u8_agreement;
    preprocess(camera_frames[0], prepared);
    f32_exact.infer();
    const double output_scale = perfguide::max_abs(f32_exact.get_output_tensor());
    result["output_scale"] = output_scale;
    std::printf("largest output difference from the host route (both run in f32): %.1e for "
                "%zux%zu frames; from %zux%zu frames %.1e resizing in f32, %.1e resizing in u8 "
                "(output values reach %.1f)\n",
                double(result["identity_resize_max_abs"]), height, width, CAMERA_HEIGHT,
                CAMERA_WIDTH, f32_resize, u8_resize, output_scale);
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    return perfguide::main(argc, argv, run, "The Preprocessing page's examples, in C++.");
}
