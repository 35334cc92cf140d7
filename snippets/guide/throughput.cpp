// Optimizing for throughput: many requests in flight, streams, batching, several instances (the
// C++ twin of throughput.py: the same sections, the same observations).
//
// Run it yourself:  python scripts/cpp.py run guide/throughput --device CPU --model mobilenet
#include "snippet.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>


using perfguide::json;

namespace {

constexpr int FRAMES = 32;  // per run of a configuration; the harness measures for real
constexpr int ROUNDS = 3;   // interleaved runs of each configuration in the sweeps; best kept
constexpr int ORDER_FRAMES = 12;  // distinct frames for the completion-order example
const std::vector<size_t> BATCHES = {1, 2, 4, 8};
constexpr int AUTO_BATCH = 4;
constexpr int INSTANCE_FRAMES = 128;  // per instance: long enough to compare whole processes
const std::vector<std::string> VIRTUAL = {"AUTO", "HETERO", "MULTI", "BATCH"};

// 1, 2, 4, ... up to the number of cores, and the number of cores itself.
std::vector<int> stream_counts(int cores) {
    std::vector<int> counts;
    for (int n = 1; n < cores; n *= 2) counts.push_back(n);
    counts.push_back(cores);
    return counts;
}

// --8<-- [start:instance]
// One copy of a simple application: one request, one input at a time.
void run_instance(const std::string& model_path, const std::string& device, int threads,
                  int frames) {
    ov::Core core;
    ov::CompiledModel compiled = core.compile_model(model_path, device,
        ov::hint::performance_mode(ov::hint::PerformanceMode::LATENCY),
        ov::inference_num_threads(threads));  // this instance's share of the cores
    ov::InferRequest request = compiled.create_infer_request();
    request.set_input_tensor(perfguide::random_tensor(compiled.input(0).get_shape()));
    request.infer();
    std::cout << "ready" << std::endl;
    std::string go;
    std::getline(std::cin, go);  // wait for "go", so that all instances start together
    for (int i = 0; i < frames; ++i) request.infer();
}
// --8<-- [end:instance]

json run(const perfguide::Args& args) {
    const std::string model_path = args.model;
    const std::string device = args.device;
    json result = {{"device", device}};
    ov::Core core;
    std::shared_ptr<ov::Model> model = core.read_model(model_path);
    const ov::PartialShape input_shape = model->input(0).get_partial_shape();
    if (input_shape.is_dynamic() || input_shape.rank().get_length() != 4)
        throw perfguide::UsageError(
            "this page needs an image model with one static NCHW input: " + model_path);
    const ov::Shape shape = model->input(0).get_shape();
    const size_t channels = shape[1], height = shape[2], width = shape[3];
    ov::Tensor frame = perfguide::random_tensor(shape);
    // The real device under a virtual one: BATCH:<device>(N) needs a real device to batch on.
    std::string real_device = device;
    if (device.find(':') != std::string::npos) {
        real_device = device.substr(device.find(':') + 1);
        real_device = real_device.substr(0, real_device.find(','));
    }
    if (std::count(VIRTUAL.begin(), VIRTUAL.end(), real_device.substr(0, real_device.find('.'))))
        real_device = "CPU";
    using ov::hint::PerformanceMode;

    // --8<-- [start:out-of-order]
    ov::CompiledModel compiled_model = core.compile_model(
        model, device, ov::hint::performance_mode(PerformanceMode::THROUGHPUT));
    auto jobs = compiled_model.get_property(ov::optimal_number_of_infer_requests);
    std::vector<ov::InferRequest> queue;
    for (uint32_t i = 0; i < jobs; ++i)
        queue.push_back(compiled_model.create_infer_request());
    std::map<int, ov::Tensor> results;
    std::vector<int> completion_order;
    std::mutex lock;  // several callbacks may run at once, in OpenVINO threads

    std::vector<ov::Tensor> frames_to_process;  // distinct frames: seeds 1, 2, ...
    for (int seed = 1; seed <= ORDER_FRAMES; ++seed)
        frames_to_process.push_back(
            perfguide::random_tensor(shape, ov::element::f32, seed));
    for (int index = 0; index < ORDER_FRAMES; ++index) {
        ov::InferRequest& request = queue[index % jobs];
        request.wait();  // blocks only while this request is still busy
        // The frame number travels with the callback, as userdata.
        request.set_callback([&, index](std::exception_ptr) {
            // Runs in an OpenVINO thread as soon as *this* request is done,
            // whatever its position.
            // Copy the data: the request is reused.
            ov::Tensor output = request.get_output_tensor(0);
            ov::Tensor copy(output.get_element_type(), output.get_shape());
            output.copy_to(copy);
            std::lock_guard<std::mutex> hold(lock);
            results[index] = copy;
            completion_order.push_back(index);
        });
        request.set_input_tensor(frames_to_process[index]);
        request.start_async();
    }
    for (ov::InferRequest& each : queue) each.wait();
    std::string order;
    for (int index : completion_order)
        order += (order.empty() ? "" : ", ") + std::to_string(index);
    std::printf("%u requests in flight; submitted frames 0..%d, "
                "completed in the order [%s]\n", jobs, ORDER_FRAMES - 1, order.c_str());
    // --8<-- [end:out-of-order]
    ov::InferRequest reference_request = compiled_model.create_infer_request();
    std::vector<ov::Tensor> references;
    for (const ov::Tensor& each : frames_to_process) {
        reference_request.set_input_tensor(each);
        reference_request.infer();
        ov::Tensor output = reference_request.get_output_tensor(0);
        references.emplace_back(output.get_element_type(), output.get_shape());
        output.copy_to(references.back());
    }
    result["order_requests"] = jobs;
    result["order_frames"] = ORDER_FRAMES;
    result["completion_order"] = completion_order;
    int in_place = 0;
    for (size_t i = 0; i < completion_order.size(); ++i) in_place += completion_order[i] == int(i);
    result["completed_in_place"] = in_place;
    double vs_reference = 0, between_frames = INFINITY;
    for (int i = 0; i < ORDER_FRAMES; ++i) {
        vs_reference = std::max(vs_reference, perfguide::max_abs_diff(results[i], references[i]));
        if (i + 1 < ORDER_FRAMES)
            between_frames = std::min(between_frames,
                                      perfguide::max_abs_diff(references[i], references[i + 1]));
    }
    result["max_abs_vs_reference"] = vs_reference;
    result["min_abs_between_frames"] = between_frames;

    // --8<-- [start:run-queue]
    struct Rate {
        double fps, latency_ms;
    };
    // Inferences per second and their median latency (ms), with `requests` in flight.
    auto run_queue = [](ov::CompiledModel compiled, uint32_t requests,
                        const ov::Tensor& inputs, int count) {
        std::vector<double> latencies;
        std::mutex lock;
        std::vector<perfguide::Clock::time_point> started(requests);
        std::vector<ov::InferRequest> queue;
        for (uint32_t i = 0; i < requests; ++i) {
            queue.push_back(compiled.create_infer_request());
            queue.back().set_input_tensor(inputs);
            queue.back().set_callback([&, i](std::exception_ptr) {
                double latency = perfguide::seconds_since(started[i]);
                std::lock_guard<std::mutex> hold(lock);
                latencies.push_back(latency);
            });
        }
        for (uint32_t i = 0; i < requests; ++i) {  // warm-up: every request once
            started[i] = perfguide::Clock::now();
            queue[i].start_async();
        }
        for (ov::InferRequest& each : queue) each.wait();
        latencies.clear();
        auto start = perfguide::Clock::now();
        for (int k = 0; k < count; ++k) {
            // Wait for a free request first: that wait is not latency.
            queue[k % requests].wait();
            started[k % requests] = perfguide::Clock::now();
            queue[k % requests].start_async();
        }
        for (ov::InferRequest& each : queue) each.wait();
        return Rate{count / perfguide::seconds_since(start),
                    perfguide::median(latencies) * 1000};
    };

    // Run each configuration in turn, ROUNDS times over: interleaved, so that load
    // from elsewhere on the machine hits all of them alike. Each keeps its best run
    // (and, to show the noise, the rate of every round).
    struct Best {
        Rate rate{0, 0};
        std::vector<double> rounds_fps;
    };
    using Runs = std::vector<std::pair<size_t, std::function<Rate()>>>;
    auto best_of_rounds = [](const Runs& runs) {
        std::map<size_t, Best> best;
        for (int round = 0; round < ROUNDS; ++round) {
            for (const auto& [name, run] : runs) {
                Rate rate = run();
                best[name].rounds_fps.push_back(rate.fps);
                if (rate.fps > best[name].rate.fps) best[name].rate = rate;
            }
        }
        return best;
    };
    // --8<-- [end:run-queue]

    // --8<-- [start:streams-sweep]
    // The cores this process may use: physical ones (an SMT sibling shares its core's
    // units) within its affinity mask, as a container or taskset limits it. The LATENCY
    // hint gives its single CPU stream exactly these; hardware_concurrency() counts
    // neither.
    int cores = core.compile_model(
        model, "CPU", ov::hint::performance_mode(PerformanceMode::LATENCY)
    ).get_property(ov::inference_num_threads);
    Runs stream_runs;
    for (int streams : stream_counts(cores)) {
        // No hint: the explicit stream count decides.
        // One request per stream keeps each busy.
        ov::CompiledModel compiled =
            core.compile_model(model, device, ov::num_streams(streams));
        stream_runs.emplace_back(streams, [=, &frame] {
            return run_queue(compiled, streams, frame, FRAMES);
        });
    }
    json streams_sweep = json::array();
    for (auto& [streams, best] : best_of_rounds(stream_runs)) {
        std::printf("%zu stream(s), %zu request(s): %6.1f frames/s, "
                    "median latency %6.1f ms\n",
                    streams, streams, best.rate.fps, best.rate.latency_ms);
        streams_sweep.push_back({{"streams", streams}, {"fps", best.rate.fps},
                                 {"latency_ms", best.rate.latency_ms},
                                 {"rounds_fps", best.rounds_fps}});
    }
    // --8<-- [end:streams-sweep]
    result["streams_sweep"] = streams_sweep;

    // --8<-- [start:batch-sweep]
    Runs batch_runs;
    for (size_t batch : BATCHES) {
        std::shared_ptr<ov::Model> batched_model = core.read_model(model_path);
        const ov::Shape batched{batch, channels, height, width};
        try {
            batched_model->reshape(batched);
        } catch (const ov::Exception& error) {
            // E.g. a model that hard-codes a batch of 1 inside.
            std::printf("batch %zu: the model cannot be reshaped: %s\n",
                        batch, perfguide::last_line(error).c_str());
            break;
        }
        // One stream, one request: the batch alone keeps the cores busy.
        ov::CompiledModel compiled =
            core.compile_model(batched_model, device, ov::num_streams(1));
        ov::Tensor inputs(ov::element::f32, batched);  // the frame, `batch` times
        for (size_t i = 0; i < batch; ++i)
            std::copy_n(frame.data<const float>(), frame.get_size(),
                        inputs.data<float>() + i * frame.get_size());
        int count = std::max<int>(2, FRAMES / batch);
        batch_runs.emplace_back(batch, [=] {
            return run_queue(compiled, 1, inputs, count);
        });
    }
    json batch_sweep = json::array();
    for (auto& [batch, best] : best_of_rounds(batch_runs)) {
        // Images per second; every image waits for its whole batch.
        double fps = batch * best.rate.fps;
        std::printf("batch %zu: %6.1f images/s, %6.1f ms per batch\n",
                    batch, fps, best.rate.latency_ms);
        std::vector<double> rounds;
        for (double each : best.rounds_fps) rounds.push_back(batch * each);
        batch_sweep.push_back({{"batch", batch}, {"fps", fps},
                               {"latency_ms", best.rate.latency_ms},
                               {"rounds_fps", rounds}});
    }
    // --8<-- [end:batch-sweep]
    result["batch_sweep"] = batch_sweep;

    // --8<-- [start:auto-batching]
    // Explicitly: the BATCH device gathers single requests into batches of 4 on the
    // device.
    const std::string batching =
        "BATCH:" + real_device + "(" + std::to_string(AUTO_BATCH) + ")";
    ov::CompiledModel auto_batched =
        core.compile_model(model, batching, ov::auto_batch_timeout(100));
    auto batch_jobs = auto_batched.get_property(ov::optimal_number_of_infer_requests);
    Rate auto_rate = run_queue(auto_batched, batch_jobs, frame, FRAMES);
    std::printf("%s: %u requests -> %.1f frames/s, median latency %.1f ms\n",
                batching.c_str(), batch_jobs, auto_rate.fps, auto_rate.latency_ms);

    // One request more: it starts a new batch alone and waits the timeout for
    // companions.
    ov::InferRequest lone = auto_batched.create_infer_request();
    auto start = perfguide::Clock::now();
    lone.set_input_tensor(frame);
    lone.infer();
    double lone_ms = perfguide::seconds_since(start) * 1000;
    // The requests are grouped into batches in the order they were created; the extra
    // one has shifted that grouping, so from now on no batch fills up before the
    // timeout.
    Rate shifted = run_queue(auto_batched, batch_jobs, frame, FRAMES);
    std::printf("a lone request took %.0f ms; %u new requests after it: "
                "%.1f frames/s\n", lone_ms, batch_jobs, shifted.fps);

    // Implicitly: the THROUGHPUT hint may batch on its own where the device profits
    // (GPU).
    ov::CompiledModel hinted = core.compile_model(model, real_device,
        ov::hint::performance_mode(PerformanceMode::THROUGHPUT),
        ov::hint::allow_auto_batching(true));
    auto hinted_jobs = hinted.get_property(ov::optimal_number_of_infer_requests);
    std::printf("THROUGHPUT hint with allow_auto_batching on %s: %u requests\n",
                real_device.c_str(), hinted_jobs);
    std::vector<std::string> available = core.get_available_devices();
    // not run on a machine without a GPU
    if (std::count(available.begin(), available.end(), "GPU")) {
        ov::CompiledModel on_gpu = core.compile_model(
            model, "GPU", ov::hint::performance_mode(PerformanceMode::THROUGHPUT));
        auto gpu_jobs = on_gpu.get_property(ov::optimal_number_of_infer_requests);
        std::printf("THROUGHPUT hint on GPU: %u requests (a multiple of the batch it "
                    "chose)\n", gpu_jobs);
    }
    // --8<-- [end:auto-batching]
    result["auto_batch_requests"] = batch_jobs;
    result["auto_batch_fps"] = auto_rate.fps;
    result["auto_batch_latency_ms"] = auto_rate.latency_ms;
    result["auto_batch_lone_ms"] = lone_ms;
    result["auto_batch_shifted_fps"] = shifted.fps;
    result["auto_batch_timeout_ms"] = 100;
    result["hinted_requests"] = hinted_jobs;
    result["real_device"] = real_device;
    result["throughput_hint_requests"] =
        core.compile_model(model, real_device, ov::hint::performance_mode(PerformanceMode::THROUGHPUT))
            .get_property(ov::optimal_number_of_infer_requests);

    // --8<-- [start:multi-instance]
    // Start `count` copies of the application (this very program, with --instance)
    // together; their total frames per second.
    auto run_instances = [&](int count, int threads) {
        std::vector<perfguide::Child> workers;
        for (int i = 0; i < count; ++i)
            workers.emplace_back(std::vector<std::string>{
                "--instance", model_path, device, std::to_string(threads),
                std::to_string(INSTANCE_FRAMES)});
        for (perfguide::Child& worker : workers)
            worker.read_line();  // "ready": compiled and warmed up
        auto start = perfguide::Clock::now();
        for (perfguide::Child& worker : workers) worker.write_line("go");
        bool failed = false;
        for (perfguide::Child& worker : workers) failed = worker.wait() != 0 || failed;
        if (failed) throw std::runtime_error("an instance failed");
        return count * INSTANCE_FRAMES / perfguide::seconds_since(start);
    };

    double one_fps = run_instances(1, cores);
    double two_fps = run_instances(2, std::max(1, cores / 2));
    std::printf("one instance with %d threads: %.1f frames/s; "
                "two instances with %d each: %.1f frames/s in total\n",
                cores, one_fps, std::max(1, cores / 2), two_fps);
    // --8<-- [end:multi-instance]
    result["one_instance_fps"] = one_fps;
    result["two_instances_fps"] = two_fps;
    result["cores"] = cores;
    // How much one configuration's rounds differed: the noise any comparison must exceed.
    double spread = 0;
    for (const json* sweep : {&streams_sweep, &batch_sweep})
        for (const json& point : *sweep) {
            std::vector<double> rounds = point["rounds_fps"];
            double most = *std::max_element(rounds.begin(), rounds.end());
            double least = *std::min_element(rounds.begin(), rounds.end());
            spread = std::max(spread, 100 * (most - least) / most);
        }
    result["round_spread_pct"] = spread;
    auto best_fps = [](const json& sweep) {
        double best = 0;
        for (const json& point : sweep) best = std::max(best, point["fps"].get<double>());
        return best;
    };
    result["best_streams_fps"] = best_fps(streams_sweep);
    result["one_stream_fps"] = streams_sweep.front()["fps"];
    result["one_stream_latency_ms"] = streams_sweep.front()["latency_ms"];
    result["most_streams_fps"] = streams_sweep.back()["fps"];
    result["most_streams_latency_ms"] = streams_sweep.back()["latency_ms"];
    if (!batch_sweep.empty()) {
        result["batch1_fps"] = batch_sweep.front()["fps"];
        result["batch1_latency_ms"] = batch_sweep.front()["latency_ms"];
        result["largest_batch_fps"] = batch_sweep.back()["fps"];
        result["largest_batch_latency_ms"] = batch_sweep.back()["latency_ms"];
        result["best_batch_fps"] = best_fps(batch_sweep);
        result["batch_of_auto_batch_fps"] = nullptr;
        for (const json& point : batch_sweep)
            if (point["batch"] == AUTO_BATCH) result["batch_of_auto_batch_fps"] = point["fps"];
    }
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    // One copy of the application, started by run_instances:
    //   --instance MODEL DEVICE THREADS FRAMES
    if (argc == 6 && std::string(argv[1]) == "--instance") {
        run_instance(argv[2], argv[3], std::stoi(argv[4]), std::stoi(argv[5]));
        return 0;
    }
    return perfguide::main(argc, argv, run, "The throughput page's examples, in C++.");
}
