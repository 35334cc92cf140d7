// Getting performance numbers: measuring right, and why an application loop is slower than
// benchmark_app, each cause measured (the C++ twin of measuring.py: the same sections, the same
// observations).
//
// Run it yourself:  python scripts/cpp.py run guide/measuring --device CPU --model yolov5n
#include "snippet.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <numeric>
#include <thread>

#include <sys/resource.h>

using perfguide::json;

namespace {

constexpr int FRAMES = 12;  // small counts keep the example quick; the harness measures seconds
constexpr int REPEATS = 3;

double ms_since(perfguide::Clock::time_point start) {
    return perfguide::seconds_since(start) * 1000;
}

// Minor page faults per call of each step (memory the process had to be given anew).
std::vector<double> page_faults_per_call(const std::vector<std::function<void()>>& steps,
                                         int repeat = 10) {
    auto minor_faults = [] {
        rusage usage{};
        getrusage(RUSAGE_SELF, &usage);
        return usage.ru_minflt;
    };
    std::vector<double> counts;
    for (const auto& step : steps) {
        step();
        long before = minor_faults();
        for (int i = 0; i < repeat; ++i) step();
        counts.push_back(static_cast<double>(minor_faults() - before) / repeat);
    }
    return counts;
}

json run(const perfguide::Args& args) {
    const std::string model_path = args.model;
    const std::string device = args.device;
    const int frames = FRAMES, repeats = REPEATS;
    json result = {{"device", device}, {"frames", frames}, {"repeats", repeats}};

    // --8<-- [start:compile]
    ov::Core core;
    std::shared_ptr<ov::Model> model = core.read_model(model_path);
    ov::CompiledModel compiled_model = core.compile_model(
        model, device, ov::hint::performance_mode(ov::hint::PerformanceMode::LATENCY));
    ov::InferRequest request = compiled_model.create_infer_request();
    // --8<-- [end:compile]
    const ov::PartialShape input_shape = compiled_model.input(0).get_partial_shape();
    if (input_shape.rank().is_dynamic() || input_shape.rank().get_length() != 4 ||
        input_shape.is_dynamic())
        throw perfguide::UsageError(
            "this page needs an image model with one static NCHW input: " + model_path);
    const ov::Shape shape = input_shape.to_shape();
    const size_t channels = shape[1], height = shape[2], width = shape[3];
    ov::Tensor frame = perfguide::random_tensor(shape);

    // --8<-- [start:first-inference]
    request.set_input_tensor(frame);
    auto start = perfguide::Clock::now();
    request.infer();  // the first inference: one-time work happens here
    double first_ms = ms_since(start);
    start = perfguide::Clock::now();
    request.infer();
    double second_ms = ms_since(start);
    std::printf("first inference %.1f ms, second %.1f ms\n", first_ms, second_ms);
    // --8<-- [end:first-inference]
    result["first_ms"] = first_ms;
    result["second_ms"] = second_ms;

    // --8<-- [start:percentiles]
    double load[1] = {0.0};
    getloadavg(load, 1);  // is anything else running? (Linux, macOS)
    double load_1min = load[0];
    std::printf("load average before measuring: %.2f on %u cores\n", load_1min,
                std::thread::hardware_concurrency());

    std::vector<double> latencies_ms, repeat_medians, runtime_ms;
    for (int r = 0; r < repeats; ++r) {
        std::vector<double> run_ms;
        for (int i = 0; i < frames; ++i) {
            auto call_start = perfguide::Clock::now();
            request.set_input_tensor(frame);  // as an application hands in each input
            auto infer_start = perfguide::Clock::now();
            request.infer();
            // The clock benchmark_app's own code puts around infer() alone.
            runtime_ms.push_back(ms_since(infer_start));
            run_ms.push_back(ms_since(call_start));
        }
        repeat_medians.push_back(perfguide::median(run_ms));
        latencies_ms.insert(latencies_ms.end(), run_ms.begin(), run_ms.end());
    }

    double p50 = perfguide::percentile(latencies_ms, 50);
    double p90 = perfguide::percentile(latencies_ms, 90);
    double p99 = perfguide::percentile(latencies_ms, 99);
    double mean = std::accumulate(latencies_ms.begin(), latencies_ms.end(), 0.0) /
                  latencies_ms.size();
    double max_ms = *std::max_element(latencies_ms.begin(), latencies_ms.end());
    auto [low, high] =
        std::minmax_element(repeat_medians.begin(), repeat_medians.end());
    double spread = (*high - *low) / perfguide::median(repeat_medians) * 100;
    std::printf("%zu inferences: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, "
                "mean %.1f ms, max %.1f ms\n",
                latencies_ms.size(), p50, p90, p99, mean, max_ms);
    std::printf("median of each repeat:");
    for (size_t r = 0; r < repeat_medians.size(); ++r)
        std::printf("%s %.1f", r ? "," : "", repeat_medians[r]);
    std::printf(" ms (spread %.0f%%)\n", spread);
    std::printf("median by a clock around infer() alone (what benchmark_app reports): "
                "%.2f ms, with setting the input: %.2f ms\n",
                perfguide::median(runtime_ms), p50);
    // --8<-- [end:percentiles]
    result["runtime_p50_ms"] = perfguide::median(runtime_ms);
    result["load_average"] = load_1min;
    result["p50_ms"] = p50;
    result["p90_ms"] = p90;
    result["p99_ms"] = p99;
    result["mean_ms"] = mean;
    result["max_ms"] = max_ms;
    result["samples"] = latencies_ms.size();
    result["repeat_medians_ms"] = repeat_medians;
    result["spread_pct"] = spread;

    // --8<-- [start:oversubscription]
    std::atomic<bool> stop{false};
    // The rest of an application: work whose threads want every core too (one thread
    // per core multiplying matrices, as a BLAS library's thread pool does).
    auto busy_application_thread = [&stop] {
        const size_t n = 256;
        std::vector<double> a(n * n, 0.5), product(n * n, 0.0);
        while (!stop) {
            for (size_t i = 0; i < n; ++i)
                for (size_t k = 0; k < n; ++k)
                    for (size_t j = 0; j < n; ++j)
                        product[i * n + j] += a[i * n + k] * a[k * n + j];
        }
        return product[0];
    };

    std::vector<std::thread> competitors;
    for (unsigned i = 0; i < std::thread::hardware_concurrency(); ++i)
        competitors.emplace_back(busy_application_thread);
    std::vector<double> contended_ms;
    for (int i = 0; i < frames; ++i) {
        auto call_start = perfguide::Clock::now();
        request.infer();
        contended_ms.push_back(ms_since(call_start));
    }
    stop = true;
    for (std::thread& competitor : competitors) competitor.join();
    std::printf("median latency with busy threads beside it: %.1f ms "
                "(alone: %.1f ms)\n", perfguide::median(contended_ms), p50);
    // --8<-- [end:oversubscription]
    result["contended_p50_ms"] = perfguide::median(contended_ms);

    // --8<-- [start:application-loop]
    // A decoded camera frame, HWC.
    ov::Tensor camera =
        perfguide::random_tensor({height, width, channels}, ov::element::u8, 1);
    const uint8_t* pixels = camera.data<const uint8_t>();
    // What the user sees.
    const size_t display_rows = 720, display_cols = 1280;
    ov::Tensor display =
        perfguide::random_tensor({display_rows, display_cols, 3}, ov::element::u8, 2);

    // Stand-in for decoding detections and drawing them: the top scores become boxes.
    auto draw_boxes = [&](const ov::Tensor& output, size_t boxes = 50) {
        std::vector<uint8_t> image(display.data<const uint8_t>(),
                                   display.data<const uint8_t>() + display.get_size());
        // a row per candidate box: its best score
        const size_t row = output.get_shape().back();
        const float* scores = output.data<const float>();
        std::vector<float> best_score(output.get_size() / row);
        for (size_t k = 0; k < best_score.size(); ++k)
            best_score[k] = *std::max_element(scores + k * row, scores + (k + 1) * row);
        std::vector<size_t> best(best_score.size());
        std::iota(best.begin(), best.end(), size_t{0});
        boxes = std::min(boxes, best.size());
        auto higher = [&](size_t a, size_t b) { return best_score[a] > best_score[b]; };
        std::partial_sort(best.begin(), best.begin() + boxes, best.end(), higher);
        auto fill = [&](size_t y0, size_t y1, size_t x0, size_t x1) {
            for (size_t y = y0; y < y1; ++y)
                for (size_t x = x0; x < x1; ++x) {
                    uint8_t* pixel = &image[(y * display_cols + x) * 3];
                    pixel[0] = 0, pixel[1] = 255, pixel[2] = 0;
                }
        };
        const size_t rows = display_rows - 40, cols = display_cols - 60;
        for (size_t i = 0; i < boxes; ++i) {  // a box per candidate, placed by index
            size_t k = best[i], y = k * 7919 % rows, x = k * 104729 % cols;
            fill(y, y + 40, x, x + 2), fill(y, y + 40, x + 58, x + 60);
            fill(y, y + 2, x, x + 60), fill(y + 38, y + 40, x, x + 60);
        }
        return image;
    };

    // Preprocessing the way a first application writes it: a new array per step.
    auto to_double = [&] {  // u8 -> double / 255.0, HWC
        std::vector<double> scaled(camera.get_size());
        for (size_t i = 0; i < scaled.size(); ++i) scaled[i] = pixels[i] / 255.0;
        return scaled;
    };
    auto to_nchw = [&](const std::vector<double>& hwc) {  // HWC -> NCHW copy
        std::vector<double> nchw(hwc.size());
        for (size_t c = 0; c < channels; ++c)
            for (size_t p = 0; p < height * width; ++p)
                nchw[c * height * width + p] = hwc[p * channels + c];
        return nchw;
    };
    auto to_float = [](const std::vector<double>& values) {  // and a third pass
        return std::vector<float>(values.begin(), values.end());
    };

    double prep_s = 0, infer_s = 0, draw_s = 0;
    std::vector<uint8_t> shown;
    auto loop_start = perfguide::Clock::now();
    for (int i = 0; i < frames; ++i) {
        auto t0 = perfguide::Clock::now();
        std::vector<float> tensor = to_float(to_nchw(to_double()));
        auto t1 = perfguide::Clock::now();
        // Synchronous: the cores wait for the loop.
        request.set_input_tensor(ov::Tensor(ov::element::f32, shape, tensor.data()));
        request.infer();
        auto t2 = perfguide::Clock::now();
        shown = draw_boxes(request.get_output_tensor(0));
        auto t3 = perfguide::Clock::now();
        using seconds = std::chrono::duration<double>;
        prep_s += seconds(t1 - t0).count();
        infer_s += seconds(t2 - t1).count();
        draw_s += seconds(t3 - t2).count();
    }
    double app_fps = frames / perfguide::seconds_since(loop_start);
    std::printf("application loop: %.1f frames/s; per frame: preprocessing %.1f ms, "
                "inference %.1f ms, drawing %.1f ms\n",
                app_fps, prep_s / frames * 1000, infer_s / frames * 1000,
                draw_s / frames * 1000);
    // --8<-- [end:application-loop]
    result["app_fps"] = app_fps;
    result["app_prep_ms"] = prep_s / frames * 1000;
    result["app_infer_ms"] = infer_s / frames * 1000;
    result["app_draw_ms"] = draw_s / frames * 1000;
    result["drawn_shape"] = {shown.size() / (display_cols * 3), display_cols, 3};

    // --8<-- [start:sync-vs-async]
    // What benchmark_app times: inference only, the input prepared once.
    request.set_input_tensor(frame);
    start = perfguide::Clock::now();
    for (int i = 0; i < frames; ++i) request.infer();
    double sync_fps = frames / perfguide::seconds_since(start);

    using ov::hint::PerformanceMode;
    ov::CompiledModel throughput_model = core.compile_model(
        model, device, ov::hint::performance_mode(PerformanceMode::THROUGHPUT));
    uint32_t jobs = throughput_model.get_property(ov::optimal_number_of_infer_requests);
    std::vector<ov::InferRequest> queue;
    for (uint32_t i = 0; i < jobs; ++i) {
        queue.push_back(throughput_model.create_infer_request());
        queue.back().set_input_tensor(frame);
        // warm every request: each one's first inference is slower
        queue.back().infer();
    }
    start = perfguide::Clock::now();
    for (int i = 0; i < frames; ++i) {
        ov::InferRequest& next = queue[i % jobs];
        next.wait();  // blocks only while this request is still busy
        next.start_async();
    }
    for (ov::InferRequest& each : queue) each.wait();
    double async_fps = frames / perfguide::seconds_since(start);
    std::printf("inference only: sync, one request %.1f frames/s; "
                "async, %u requests %.1f frames/s\n", sync_fps, jobs, async_fps);
    // --8<-- [end:sync-vs-async]
    result["sync_fps"] = sync_fps;
    result["async_fps"] = async_fps;
    result["async_requests"] = jobs;

    // --8<-- [start:conversions]
    auto per_frame_ms = [](const std::function<void()>& step, int repeat = 20) {
        std::vector<double> times;
        for (int i = 0; i < repeat; ++i) {
            auto step_start = perfguide::Clock::now();
            step();
            times.push_back(ms_since(step_start));
        }
        return perfguide::median(times);
    };

    std::vector<double> as_double = to_double(), nchw_double = to_nchw(as_double);
    std::vector<float> as_float;  // each step's result is kept, as numpy's would be
    std::vector<std::pair<std::string, double>> steps_ms = {
        {"camera / 255.0 (to double)", per_frame_ms([&] { as_double = to_double(); })},
        {"HWC -> NCHW copy", per_frame_ms([&] { nchw_double = to_nchw(as_double); })},
        {"double -> float", per_frame_ms([&] { as_float = to_float(nchw_double); })},
    };
    // as the application loop does it
    auto three_steps = [&] { return to_float(to_nchw(to_double())); };

    double chain_ms = per_frame_ms([&] { as_float = three_steps(); });
    // One pass: u8 HWC -> f32 NCHW, written straight into a buffer allocated once.
    ov::Tensor buffer(ov::element::f32, {1, channels, height, width});
    auto one_pass = [&] {
        float* out = buffer.data<float>();
        for (size_t c = 0; c < channels; ++c)
            for (size_t p = 0; p < height * width; ++p)
                out[c * height * width + p] = pixels[p * channels + c] * (1 / 255.0f);
    };
    double one_pass_ms = per_frame_ms(one_pass);
    for (const auto& [step, ms] : steps_ms)
        std::printf("  %-36s %6.2f ms per frame, timed alone\n", step.c_str(), ms);
    std::printf("  %-36s %6.2f ms per frame\n", "the three steps in a row", chain_ms);
    std::printf("  %-36s %6.2f ms per frame\n", "one pass into a float buffer",
                one_pass_ms);
    // --8<-- [end:conversions]
    json conversion_steps = json::object();
    double steps_sum_ms = 0;
    for (const auto& [step, ms] : steps_ms) {
        conversion_steps[step] = ms;
        steps_sum_ms += ms;
    }
    result["conversion_steps_ms"] = conversion_steps;
    std::vector<double> faults =
        page_faults_per_call({[&] { as_float = three_steps(); }, one_pass});
    result["faults_in_a_row"] = faults[0];
    result["faults_one_pass"] = faults[1];
    result["steps_sum_ms"] = steps_sum_ms;
    result["chain_ms"] = chain_ms;
    result["one_pass_ms"] = one_pass_ms;
    std::vector<float> chained = three_steps();
    result["one_pass_max_abs_diff"] = perfguide::max_abs_diff(
        buffer, ov::Tensor(ov::element::f32, buffer.get_shape(), chained.data()));

    // --8<-- [start:fixed-loop]
    std::mutex shown_mutex;
    std::vector<std::vector<uint8_t>> shown_frames;
    std::exception_ptr failed;
    std::vector<ov::InferRequest> fixed_queue;
    for (uint32_t i = 0; i < jobs; ++i)
        fixed_queue.push_back(throughput_model.create_infer_request());
    for (ov::InferRequest& each : fixed_queue) {
        // Runs when a request finishes, while the loop below prepares the next frame.
        each.set_callback([&](std::exception_ptr error) {
            std::vector<uint8_t> drawn;
            if (!error) drawn = draw_boxes(each.get_output_tensor(0));
            std::lock_guard<std::mutex> lock(shown_mutex);
            if (error) failed = error;
            else shown_frames.push_back(std::move(drawn));
        });
    }
    start = perfguide::Clock::now();
    for (int i = 0; i < frames; ++i) {
        one_pass();  // one pass over the frame, into the buffer
        ov::InferRequest& next = fixed_queue[i % jobs];
        next.wait();  // a free request (blocks only while it is busy)...
        buffer.copy_to(next.get_input_tensor());  // ...takes a copy of the buffer,
        next.start_async();                       // and the loop goes on at once
    }
    for (ov::InferRequest& each : fixed_queue) each.wait();
    if (failed) std::rethrow_exception(failed);
    double fixed_fps = frames / perfguide::seconds_since(start);
    std::printf("the same application, async with one-pass preprocessing: "
                "%.1f frames/s (was %.1f)\n", fixed_fps, app_fps);
    // --8<-- [end:fixed-loop]
    result["fixed_fps"] = fixed_fps;
    result["fixed_frames_drawn"] = shown_frames.size();
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    return perfguide::main(argc, argv, run,
                           "The Getting performance numbers page's examples, in C++.");
}
