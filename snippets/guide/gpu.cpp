// GPU checklist: f16, batching, compile time and the model cache, streams, queue throttling and
// priority, and the host CPU a GPU still needs (the C++ twin of gpu.py: the same sections, the
// same observations).
//
// Run it yourself:  python scripts/cpp.py run guide/gpu --device GPU --model resnet50
// (--model also takes the path of your own .xml or .onnx image model.) On a machine without a
// GPU it lists the GPUs it found (none) and stops: every example below needs one.
#include <algorithm>
#include <ctime>
#include <thread>

#include <openvino/runtime/intel_gpu/properties.hpp>

#include "snippet.hpp"

using perfguide::json;

namespace {

constexpr int FRAMES = 32;  // per measurement; small counts keep the page quick
constexpr size_t BATCH = 8;

json run(const perfguide::Args& args) {
    const std::string model_path = args.model;
    const std::string device = args.device;
    json result = {{"device", device}};
    ov::Core core;

    // --8<-- [start:gpu-info]
    std::vector<std::string> gpus;
    for (const std::string& name : core.get_available_devices())
        if (name.rfind("GPU", 0) == 0) gpus.push_back(name);
    for (const std::string& gpu : gpus) {
        uint64_t memory = core.get_property(gpu, ov::intel_gpu::device_total_mem_size);
        // an ov::Any prints the enum it holds: "integrated" or "discrete"
        std::string type =
            core.get_property(gpu, ov::device::type.name()).as<std::string>();
        std::string capabilities;
        for (const std::string& each : core.get_property(gpu, ov::device::capabilities))
            capabilities += (capabilities.empty() ? "" : ", ") + each;
        std::printf("%s: %s (%s, %.1f GiB), capabilities: %s\n", gpu.c_str(),
                    core.get_property(gpu, ov::device::full_name).c_str(), type.c_str(),
                    memory / double(1 << 30), capabilities.c_str());
    }
    // --8<-- [end:gpu-info]
    result["gpus"] = gpus;
    if (device.substr(0, device.find('.')) != "GPU") {
        std::string found;
        for (const std::string& gpu : gpus) found += (found.empty() ? "" : ", ") + gpu;
        std::printf("%s is not a GPU; GPUs here: %s. Every other example of this page needs "
                    "one: nothing was run.\n",
                    device.c_str(), found.empty() ? "none" : found.c_str());
        result["ran"] = false;
        return result;
    }
    result["ran"] = true;

    std::shared_ptr<ov::Model> model = core.read_model(model_path);
    const ov::PartialShape input_shape = model->input(0).get_partial_shape();
    if (input_shape.is_dynamic() || input_shape.rank().get_length() != 4)
        throw perfguide::UsageError(
            "this page needs an image model with one static NCHW input: " + model_path);
    const ov::Shape shape = input_shape.to_shape();
    const size_t channels = shape[1], height = shape[2], width = shape[3];
    ov::Tensor frame = perfguide::random_tensor({1, channels, height, width});

    // --8<-- [start:f16]
    // The GPU runs f16 unless told otherwise.
    ov::CompiledModel compiled_model = core.compile_model(model, device);
    std::printf("default inference precision on %s: %s\n", device.c_str(),
                compiled_model.get_property(ov::hint::inference_precision)
                    .get_type_name().c_str());
    ov::CompiledModel f16_model = core.compile_model(
        model, device, ov::hint::inference_precision(ov::element::f16));
    ov::CompiledModel f32_model = core.compile_model(
        model, device, ov::hint::inference_precision(ov::element::f32));
    auto infer_once = [&](ov::CompiledModel& compiled) {
        ov::InferRequest request = compiled.create_infer_request();
        request.set_input_tensor(frame);
        request.infer();
        return request.get_output_tensor(0);
    };
    ov::Tensor f16_out = infer_once(f16_model), f32_out = infer_once(f32_model);
    std::printf("largest difference, f16 vs f32: %.4f\n",
                perfguide::max_abs_diff(f16_out, f32_out));
    // --8<-- [end:f16]
    result["default_precision"] =
        compiled_model.get_property(ov::hint::inference_precision).get_type_name();
    result["f16_vs_f32_max_abs"] = perfguide::max_abs_diff(f16_out, f32_out);
    result["output_scale"] = perfguide::max_abs(f32_out);
    // done with them: give their GPU memory back (Python's del)
    f16_out = f32_out = {};
    f16_model = f32_model = {};

    // --8<-- [start:compile-and-cache]
    auto seconds_to_compile = [&](const ov::AnyMap& config) {
        auto start = perfguide::Clock::now();
        ov::Core fresh_core;  // a new application start: nothing compiled in memory
        fresh_core.compile_model(model_path, device, config);
        return perfguide::seconds_since(start);
    };

    perfguide::TempDir cache;
    double cold_s = seconds_to_compile({});  // kernels are built for this GPU now
    double fewer_threads_s = seconds_to_compile({ov::compilation_num_threads(1)});
    seconds_to_compile({ov::cache_dir(cache.str())});  // compiles, and writes the cache
    // Loads the compiled kernels.
    double cached_s = seconds_to_compile({ov::cache_dir(cache.str())});
    std::printf("compile_model: %.2f s cold, %.2f s on one compilation thread, "
                "%.2f s from the cache\n", cold_s, fewer_threads_s, cached_s);
    // --8<-- [end:compile-and-cache]
    result["compile_cold_s"] = cold_s;
    result["compile_one_thread_s"] = fewer_threads_s;
    result["compile_cached_s"] = cached_s;

    // --8<-- [start:streams-and-batch]
    auto images_per_second = [&](ov::CompiledModel& compiled, uint32_t requests,
                                 const ov::Tensor& inputs) {
        std::vector<ov::InferRequest> queue;
        for (uint32_t i = 0; i < requests; ++i) {
            queue.push_back(compiled.create_infer_request());
            queue.back().set_input_tensor(inputs);
            queue.back().infer();  // warm every request once
        }
        auto start = perfguide::Clock::now();
        for (int i = 0; i < FRAMES; ++i) {
            queue[i % requests].wait();  // blocks only when this request is still busy
            queue[i % requests].start_async();
        }
        for (ov::InferRequest& each : queue) each.wait();
        return FRAMES * inputs.get_shape()[0] / perfguide::seconds_since(start);
    };

    using ov::hint::PerformanceMode;
    ov::CompiledModel throughput_model = core.compile_model(
        model, device, ov::hint::performance_mode(PerformanceMode::THROUGHPUT));
    int32_t streams = throughput_model.get_property(ov::num_streams);
    auto jobs = throughput_model.get_property(ov::optimal_number_of_infer_requests);
    double hinted_fps = images_per_second(throughput_model, jobs, frame);
    std::printf("THROUGHPUT hint: %d streams, %u requests -> %.1f images/s\n", streams,
                jobs, hinted_fps);

    std::shared_ptr<ov::Model> batched = core.read_model(model_path);
    batched->reshape(ov::Shape{BATCH, channels, height, width});
    ov::CompiledModel batched_model =
        core.compile_model(batched, device, ov::num_streams(2));
    ov::Tensor batch(ov::element::f32, {BATCH, channels, height, width});
    const float* image = frame.data<const float>();
    const size_t size = frame.get_size();
    for (size_t i = 0; i < BATCH; ++i)  // the same image BATCH times
        std::copy(image, image + size, batch.data<float>() + i * size);
    double batch_fps = images_per_second(batched_model, 2, batch);
    ov::CompiledModel one_stream =
        core.compile_model(model, device, ov::num_streams(1));
    double one_fps = images_per_second(one_stream, 1, frame);
    std::printf("one image per request: %.1f images/s; batch %zu on 2 streams: "
                "%.1f images/s\n", one_fps, BATCH, batch_fps);
    // --8<-- [end:streams-and-batch]
    result["throughput_streams"] = streams;
    result["throughput_requests"] = jobs;
    result["throughput_fps"] = hinted_fps;
    result["batch_fps"] = batch_fps;
    result["single_fps"] = one_fps;
    throughput_model = batched_model = one_stream = {};  // Python's del

    // --8<-- [start:throttle]
    using ov::intel_gpu::hint::ThrottleLevel;
    // (host CPU ms, wall-clock ms) per inference: what waiting for the GPU costs the
    // CPU. std::clock() is the CPU time of all of this process's threads.
    auto host_cpu_per_inference = [&](ThrottleLevel level) {
        ov::CompiledModel throttled = core.compile_model(
            model, device, ov::intel_gpu::hint::queue_throttle(level));
        ov::InferRequest request = throttled.create_infer_request();
        request.set_input_tensor(frame);
        request.infer();
        std::clock_t cpu_before = std::clock();
        auto start = perfguide::Clock::now();
        for (int i = 0; i < FRAMES; ++i) request.infer();
        double wall_ms = perfguide::seconds_since(start) * 1000 / FRAMES;
        double cpu_s = double(std::clock() - cpu_before) / CLOCKS_PER_SEC;
        return std::make_pair(cpu_s * 1000 / FRAMES, wall_ms);
    };

    auto [low_cpu_ms, low_wall_ms] = host_cpu_per_inference(ThrottleLevel::LOW);
    auto [high_cpu_ms, high_wall_ms] = host_cpu_per_inference(ThrottleLevel::HIGH);
    std::printf("queue_throttle LOW: %.2f ms of host CPU, %.2f ms per inference\n",
                low_cpu_ms, low_wall_ms);
    std::printf("queue_throttle HIGH: %.2f ms of host CPU, %.2f ms per inference\n",
                high_cpu_ms, high_wall_ms);
    // --8<-- [end:throttle]
    result["throttle_low_cpu_ms"] = low_cpu_ms;
    result["throttle_low_wall_ms"] = low_wall_ms;
    result["throttle_high_cpu_ms"] = high_cpu_ms;
    result["throttle_high_wall_ms"] = high_wall_ms;

    // --8<-- [start:priority]
    using ov::hint::Priority;
    namespace gpu_hint = ov::intel_gpu::hint;
    ov::CompiledModel urgent = core.compile_model(
        model, device,
        // Its OpenCL queue is served first.
        gpu_hint::queue_priority(Priority::HIGH),
        // Its host threads run on the fast cores.
        gpu_hint::host_task_priority(Priority::HIGH));
    ov::CompiledModel background = core.compile_model(
        model, device,
        gpu_hint::queue_priority(Priority::LOW),
        gpu_hint::host_task_priority(Priority::LOW));
    for (auto [name, compiled] : {std::make_pair("urgent", urgent),
                                  std::make_pair("background", background)}) {
        std::printf("%s: queue priority %s, host task priority %s\n", name,
                    compiled.get_property(gpu_hint::queue_priority.name())
                        .as<std::string>().c_str(),
                    compiled.get_property(gpu_hint::host_task_priority.name())
                        .as<std::string>().c_str());
    }
    // --8<-- [end:priority]
    result["urgent_queue_priority"] =
        urgent.get_property(gpu_hint::queue_priority.name()).as<std::string>();
    result["background_queue_priority"] =
        background.get_property(gpu_hint::queue_priority.name()).as<std::string>();
    urgent = background = {};  // Python's del

    // --8<-- [start:sharing-the-host]
    // Inference on the CPU beside the GPU: leave a core to the threads that feed
    // the GPU.
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    ov::CompiledModel cpu_model = core.compile_model(
        model, "CPU", ov::inference_num_threads(std::max(1, cores - 1)));
    std::vector<ov::InferRequest> gpu_queue;
    for (int i = 0; i < 2; ++i) {
        gpu_queue.push_back(compiled_model.create_infer_request());
        gpu_queue.back().set_input_tensor(frame);
    }
    ov::InferRequest cpu_request = cpu_model.create_infer_request();
    cpu_request.set_input_tensor(frame);
    auto start = perfguide::Clock::now();
    for (int i = 0; i < FRAMES; ++i) {
        gpu_queue[i % 2].wait();         // this GPU request's previous frame is done
        gpu_queue[i % 2].start_async();  // the GPU works on it meanwhile
        cpu_request.infer();
    }
    for (ov::InferRequest& each : gpu_queue) each.wait();
    double both_fps = 2 * FRAMES / perfguide::seconds_since(start);
    std::printf("GPU and CPU side by side: %.1f images/s in total\n", both_fps);
    // --8<-- [end:sharing-the-host]
    result["cpu_and_gpu_fps"] = both_fps;
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    return perfguide::main(argc, argv, run, "The GPU checklist page's examples, in C++.");
}
