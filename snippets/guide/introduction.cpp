// Introduction: the factors of inference performance, each shown on a real-shaped model (the
// C++ twin of introduction.py: the same sections, the same observations).
//
// Run it yourself:  python scripts/cpp.py run guide/introduction --device CPU --model yolov5n
#include "snippet.hpp"

using perfguide::json;

namespace {

constexpr int FRAMES = 24;  // small counts keep the example quick; the harness measures for real

json run(const perfguide::Args& args) {
    const std::string model_path = args.model;
    const std::string device = args.device;
    json result = {{"device", device}};

    // --8<-- [start:read-and-compile]
    ov::Core core;
    std::shared_ptr<ov::Model> model = core.read_model(model_path);
    ov::CompiledModel compiled_model = core.compile_model(
        model, device, ov::hint::performance_mode(ov::hint::PerformanceMode::LATENCY));
    // --8<-- [end:read-and-compile]
    const ov::Output<const ov::Node> image_input = compiled_model.input(0);
    const ov::PartialShape input_shape = image_input.get_partial_shape();
    if (input_shape.rank().is_dynamic() || input_shape.rank().get_length() != 4 ||
        input_shape.is_dynamic())
        throw perfguide::UsageError(
            "this page needs an image model with one static NCHW input: " + model_path);
    const ov::Shape shape = image_input.get_shape();
    const size_t channels = shape[1], height = shape[2], width = shape[3];
    ov::Tensor frame = perfguide::random_tensor(shape);

    // --8<-- [start:latency]
    ov::InferRequest request = compiled_model.create_infer_request();
    request.set_input_tensor(frame);
    // the first inference is slower: keep it out of the timing
    request.infer();

    std::vector<double> latencies_ms;
    for (int i = 0; i < FRAMES; ++i) {
        auto start = perfguide::Clock::now();
        request.infer();
        latencies_ms.push_back(perfguide::seconds_since(start) * 1000);
    }
    std::printf("latency: median %.2f ms over %d frames\n",
                perfguide::median(latencies_ms), FRAMES);
    // --8<-- [end:latency]
    result["latency_ms_median"] = perfguide::median(latencies_ms);
    result["latency_fps"] = 1000.0 / perfguide::median(latencies_ms);

    // --8<-- [start:throughput]
    using ov::hint::PerformanceMode;
    ov::CompiledModel throughput_model = core.compile_model(
        model, device, ov::hint::performance_mode(PerformanceMode::THROUGHPUT));
    auto jobs = throughput_model.get_property(ov::optimal_number_of_infer_requests);
    std::vector<ov::InferRequest> queue;
    for (uint32_t i = 0; i < jobs; ++i) {
        queue.push_back(throughput_model.create_infer_request());
        queue.back().set_input_tensor(frame);
        queue.back().infer();  // warm every request once
    }

    auto start = perfguide::Clock::now();
    for (int i = 0; i < FRAMES; ++i) {
        ov::InferRequest& next = queue[i % jobs];
        next.wait();         // blocks only when this request is still busy
        next.start_async();  // returns at once
    }
    for (ov::InferRequest& each : queue) each.wait();
    double throughput_fps = FRAMES / perfguide::seconds_since(start);
    std::printf("throughput: %.1f frames/s with %u requests in flight\n",
                throughput_fps, jobs);
    // --8<-- [end:throughput]
    result["throughput_fps"] = throughput_fps;
    result["throughput_requests"] = jobs;

    // --8<-- [start:end-to-end]
    // u8 HWC frame of any size -> f32 NCHW in [0, 1] at the model's size (nearest)
    auto preprocess = [&](const ov::Tensor& camera_frame, ov::Tensor& tensor) {
        const size_t rows = camera_frame.get_shape()[0];
        const size_t cols = camera_frame.get_shape()[1];
        const uint8_t* pixels = camera_frame.data<const uint8_t>();
        float* out = tensor.data<float>();
        for (size_t c = 0; c < channels; ++c)
            for (size_t y = 0; y < height; ++y)
                for (size_t x = 0; x < width; ++x) {
                    size_t row = y * rows / height, col = x * cols / width;
                    out[(c * height + y) * width + x] =
                        pixels[(row * cols + col) * channels + c] / 255.0f;
                }
    };

    ov::Tensor camera_frame =
        perfguide::random_tensor({720, 1280, channels}, ov::element::u8);
    ov::Tensor tensor(ov::element::f32, shape);
    double inference_s = 0, end_to_end_s = 0, best_score = 0;
    for (int i = 0; i < FRAMES; ++i) {
        auto frame_start = perfguide::Clock::now();
        preprocess(camera_frame, tensor);
        auto infer_start = perfguide::Clock::now();
        request.set_input_tensor(tensor);
        request.infer();
        inference_s += perfguide::seconds_since(infer_start);
        // stands in for the application's post-processing
        best_score = perfguide::max_abs(request.get_output_tensor(0));
        end_to_end_s += perfguide::seconds_since(frame_start);
    }
    std::printf("pure inference: %.1f frames/s, end to end: %.1f frames/s\n",
                FRAMES / inference_s, FRAMES / end_to_end_s);
    // --8<-- [end:end-to-end]
    result["inference_only_fps"] = FRAMES / inference_s;
    result["end_to_end_fps"] = FRAMES / end_to_end_s;
    result["best_score_is_finite"] = std::isfinite(best_score);

    // --8<-- [start:first-inference]
    auto time_to_first_result = [&](const ov::AnyMap& config) {
        auto start = perfguide::Clock::now();
        ov::Core fresh_core;
        ov::CompiledModel loaded =
            fresh_core.compile_model(fresh_core.read_model(model_path), device, config);
        ov::InferRequest first = loaded.create_infer_request();
        first.set_input_tensor(frame);
        first.infer();
        return perfguide::seconds_since(start);
    };

    perfguide::TempDir cache;
    const ov::AnyMap cached = {{ov::cache_dir.name(), cache.str()}};
    double cold_s = time_to_first_result({});
    time_to_first_result(cached);  // fills the cache
    double cached_s = time_to_first_result(cached);
    std::printf("first result: %.0f ms cold, %.0f ms from the cache\n",
                cold_s * 1000, cached_s * 1000);
    // --8<-- [end:first-inference]
    result["first_inference_cold_ms"] = cold_s * 1000;
    result["first_inference_cached_ms"] = cached_s * 1000;

    // --8<-- [start:memory]
    auto resident_mib_for = [&](ov::hint::PerformanceMode mode) {
        auto before = perfguide::resident_bytes();
        ov::CompiledModel loaded =
            core.compile_model(model, device, ov::hint::performance_mode(mode));
        std::vector<ov::InferRequest> requests;
        auto count = loaded.get_property(ov::optimal_number_of_infer_requests);
        for (uint32_t i = 0; i < count; ++i) {
            requests.push_back(loaded.create_infer_request());
            requests.back().set_input_tensor(frame);
            requests.back().infer();
        }
        return (perfguide::resident_bytes() - before) / double(1 << 20);
    };

    double latency_mib = resident_mib_for(ov::hint::PerformanceMode::LATENCY);
    double throughput_mib = resident_mib_for(ov::hint::PerformanceMode::THROUGHPUT);
    std::printf("resident memory added: LATENCY %.0f MiB, THROUGHPUT %.0f MiB\n",
                latency_mib, throughput_mib);
    // --8<-- [end:memory]
    result["latency_hint_mib"] = latency_mib;
    result["throughput_hint_mib"] = throughput_mib;

    // --8<-- [start:accuracy]
    auto infer_in_mode = [&](ov::hint::ExecutionMode mode) {
        ov::InferRequest one =
            core.compile_model(model, device, ov::hint::execution_mode(mode))
                .create_infer_request();
        one.set_input_tensor(frame);
        one.infer();
        return one.get_output_tensor(0);
    };
    ov::Tensor reference = infer_in_mode(ov::hint::ExecutionMode::ACCURACY);
    ov::Tensor fast = infer_in_mode(ov::hint::ExecutionMode::PERFORMANCE);
    std::printf("largest difference, PERFORMANCE vs ACCURACY mode: %.4f\n",
                perfguide::max_abs_diff(fast, reference));
    // --8<-- [end:accuracy]
    result["performance_vs_accuracy_max_abs"] = perfguide::max_abs_diff(fast, reference);
    result["cpu_capabilities"] = core.get_property("CPU", ov::device::capabilities);

    // --8<-- [start:model-optimization]
    // A model optimization: the model itself takes camera bytes (u8, NHWC) and
    // normalizes them.
    ov::preprocess::PrePostProcessor ppp(core.read_model(model_path));
    ppp.input().tensor().set_element_type(ov::element::u8).set_layout("NHWC");
    ppp.input().model().set_layout("NCHW");
    ppp.input().preprocess().convert_element_type(ov::element::f32).scale(255.0f);
    std::shared_ptr<ov::Model> u8_model = ppp.build();

    // A runtime optimization on top of it: the two kinds combine.
    ov::CompiledModel u8_compiled = core.compile_model(
        u8_model, device, ov::hint::performance_mode(PerformanceMode::THROUGHPUT));
    ov::Tensor u8_frame =
        perfguide::random_tensor({1, height, width, channels}, ov::element::u8, 1);
    ov::InferRequest u8_request = u8_compiled.create_infer_request();
    u8_request.set_input_tensor(u8_frame);
    u8_request.infer();
    // --8<-- [end:model-optimization]
    ov::Tensor float_frame(ov::element::f32, shape);
    const uint8_t* bytes = u8_frame.data<const uint8_t>();
    float* floats = float_frame.data<float>();
    for (size_t c = 0; c < channels; ++c)
        for (size_t p = 0; p < height * width; ++p)
            floats[c * height * width + p] = bytes[p * channels + c] / 255.0f;
    ov::InferRequest by_loop = core.compile_model(
        model, device, ov::hint::performance_mode(ov::hint::PerformanceMode::THROUGHPUT))
                                   .create_infer_request();
    by_loop.set_input_tensor(float_frame);
    by_loop.infer();
    result["ppp_vs_numpy_max_abs"] =
        perfguide::max_abs_diff(u8_request.get_output_tensor(0), by_loop.get_output_tensor(0));
    result["output_scale"] = perfguide::max_abs(by_loop.get_output_tensor(0));
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    return perfguide::main(argc, argv, run, "The Introduction page's examples, in C++.");
}
