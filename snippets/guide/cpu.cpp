// CPU checklist: threads, streams, pinning, core types, NUMA, what the CPU can do, and what
// happens when the application or a second process wants the same cores (the C++ twin of
// cpu.py: the same sections, the same observations).
//
// Run it yourself:  python scripts/cpp.py run guide/cpu --device CPU --model mobilenet
#include "snippet.hpp"

#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include <glob.h>
#include <unistd.h>

using perfguide::Child;
using perfguide::join;
using perfguide::json;
using perfguide::text;

namespace {

constexpr int FRAMES = 40;  // per measurement; small counts keep the page quick
constexpr int ROUNDS = 3;   // interleaved rounds of each latency measurement; the best is kept
constexpr int WORKER_FRAMES = 40;  // per process in the two-process example

// The paths matching a shell pattern, sorted (Python's glob.glob).
std::vector<std::string> glob_paths(const std::string& pattern) {
    std::vector<std::string> paths;
    glob_t found{};
    if (glob(pattern.c_str(), 0, nullptr, &found) == 0)
        paths.assign(found.gl_pathv, found.gl_pathv + found.gl_pathc);
    globfree(&found);
    return paths;
}

// --8<-- [start:worker]
// One inference process: compile, wait for "go", run `frames` inferences.
int run_worker(const std::string& model_path, int32_t threads, bool pinning,
               int frames) {
    ov::Core core;
    ov::CompiledModel compiled = core.compile_model(
        model_path, "CPU",
        ov::hint::performance_mode(ov::hint::PerformanceMode::LATENCY),
        ov::inference_num_threads(threads),  // this process's share of the cores
        ov::hint::enable_cpu_pinning(pinning));
    ov::InferRequest request = compiled.create_infer_request();
    request.set_input_tensor(perfguide::random_tensor(compiled.input(0).get_shape()));
    request.infer();
    std::printf("ready\n");
    std::fflush(stdout);
    std::string go;
    std::getline(std::cin, go);  // every process starts together
    for (int i = 0; i < frames; ++i) request.infer();
    return 0;
}
// --8<-- [end:worker]

// --8<-- [start:omp]
// What this program does when started with --omp-probe MODEL: compile the model, print
// the CPU plugin's thread count and the threading libraries the process loaded.
int omp_probe(const std::string& model_path) {
    ov::CompiledModel compiled = ov::Core().compile_model(model_path, "CPU");
    std::set<std::string> libs;
    std::ifstream maps("/proc/self/maps");
    for (std::string line; std::getline(maps, line);) {
        std::string name = line.substr(line.rfind('/') + 1);
        for (const char* prefix : {"libtbb", "libgomp", "libiomp", "libomp"})
            if (name.rfind(prefix, 0) == 0)
                libs.insert(name.substr(0, name.find(".so")));
    }
    std::printf("%d", compiled.get_property(ov::inference_num_threads));
    for (const std::string& lib : libs) std::printf(" %s", lib.c_str());
    std::printf("\n");
    return 0;
}

// Run the probe in a fresh process whose environment says OMP_NUM_THREADS=1.
std::pair<int32_t, std::vector<std::string>> omp_env_probe(
    const std::string& model_path) {
    Child probe({"--omp-probe", model_path}, {"OMP_NUM_THREADS=1"});
    std::istringstream reply(probe.read_line());
    if (probe.wait() != 0) throw std::runtime_error("the probe process failed");
    int32_t omp_threads = 0;
    std::vector<std::string> threading_libs;
    reply >> omp_threads;
    for (std::string lib; reply >> lib;) threading_libs.push_back(lib);
    std::printf("with OMP_NUM_THREADS=1 the CPU plugin still uses %d thread(s); "
                "threading libraries loaded: %s\n",
                omp_threads, join(threading_libs, " ").c_str());
    return {omp_threads, threading_libs};
}
// --8<-- [end:omp]

json run(const perfguide::Args& args) {
    const std::string model_path = args.model;
    const std::string device = args.device;
    if (device.substr(0, device.find('.')) != "CPU")
        throw perfguide::UsageError("the CPU checklist runs on the CPU device, not '" +
                                    device + "'");
    json result = {{"device", device}};
    ov::Core core;
    std::shared_ptr<ov::Model> model = core.read_model(model_path);
    const ov::PartialShape input_shape = model->input(0).get_partial_shape();
    if (input_shape.is_dynamic() || input_shape.rank().get_length() != 4)
        throw perfguide::UsageError(
            "this page needs an image model with one static NCHW input: " + model_path);
    ov::Tensor frame = perfguide::random_tensor(input_shape.to_shape());

    // --8<-- [start:capabilities]
    std::printf("%s: %s\n", device.c_str(),
                core.get_property(device, ov::device::full_name).c_str());
    std::vector<std::string> capabilities =
        core.get_property(device, ov::device::capabilities);
    std::printf("  OpenVINO capabilities: %s\n", join(capabilities).c_str());
    std::printf("  default inference precision: %s\n",
                text(core.get_property(device, ov::hint::inference_precision)).c_str());

    std::set<std::string> cpu_flags;
    // Linux: the instruction sets the processor reports
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
        if (line.rfind("flags", 0) != 0) continue;
        std::istringstream words(line.substr(line.find(':') + 1));
        for (std::string flag; words >> flag;) cpu_flags.insert(flag);
        break;
    }
    const std::pair<const char*, const char*> instructions[] = {
        {"avx2", "AVX2"}, {"avx512f", "AVX-512"},
        {"avx512_vnni", "AVX-512 VNNI (int8 dot products)"},
        {"avx512_bf16", "AVX512_BF16 (bf16 dot products)"},
        {"avx512_fp16", "AVX512-FP16 (f16 arithmetic)"},
        {"amx_bf16", "AMX-BF16 (bf16 matrix tiles)"},
        {"amx_int8", "AMX-INT8 (int8 matrix tiles)"}};
    for (auto [flag, meaning] : instructions)
        std::printf("  %s: %s\n", meaning, cpu_flags.count(flag) ? "yes" : "no");
    // --8<-- [end:capabilities]
    result["capabilities"] = capabilities;
    result["default_precision"] = text(core.get_property(device, ov::hint::inference_precision));
    result["section_flags"] = cpu_flags;
    result["has_bf16_instructions"] = cpu_flags.count("avx512_bf16") || cpu_flags.count("amx_bf16");
    result["has_amx"] = std::any_of(cpu_flags.begin(), cpu_flags.end(), [](const std::string& f) {
        return f.rfind("amx", 0) == 0;
    });

    // --8<-- [start:threads]
    auto median_latency_ms = [&](ov::CompiledModel& compiled, int count = FRAMES) {
        ov::InferRequest request = compiled.create_infer_request();
        request.set_input_tensor(frame);
        request.infer();  // warm-up
        std::vector<double> times;
        for (int i = 0; i < count; ++i) {
            auto start = perfguide::Clock::now();
            request.infer();
            times.push_back(perfguide::seconds_since(start) * 1000);
        }
        return perfguide::median(times);
    };

    // The cores this process may use: physical ones (an SMT sibling shares its core's
    // units) within its affinity mask, as a container or taskset limits it. The LATENCY
    // hint gives its single CPU stream exactly these; hardware_concurrency() counts
    // neither.
    using ov::hint::PerformanceMode;
    const auto latency_hint = ov::hint::performance_mode(PerformanceMode::LATENCY);
    const int32_t cores = core.compile_model(model, "CPU", latency_hint)
                              .get_property(ov::inference_num_threads);
    std::map<int32_t, ov::CompiledModel> by_threads;
    for (int32_t threads : std::set<int32_t>{1, cores}) {
        by_threads[threads] = core.compile_model(model, device, latency_hint,
                                                 ov::inference_num_threads(threads));
        std::printf("inference_num_threads=%d: the compiled model uses %d thread(s)\n",
                    threads,
                    by_threads[threads].get_property(ov::inference_num_threads));
    }
    // Interleave the measurements so that noise from elsewhere hits every setting
    // alike.
    std::map<int32_t, double> latency;
    for (int round = 0; round < ROUNDS; ++round)
        for (auto& [threads, compiled] : by_threads) {
            double ms = median_latency_ms(compiled);
            latency[threads] = round ? std::min(latency[threads], ms) : ms;
        }
    for (auto [threads, ms] : latency)
        std::printf("  %d thread(s): median latency %.2f ms\n", threads, ms);
    // --8<-- [end:threads]
    result["cores"] = cores;
    for (auto& [threads, compiled] : by_threads)
        result["threads_read_back"][std::to_string(threads)] =
            compiled.get_property(ov::inference_num_threads);
    result["one_thread_latency_ms"] = latency[1];
    result["all_threads_latency_ms"] = latency[cores];
    by_threads.clear();

    // --8<-- [start:streams]
    const auto throughput_hint =
        ov::hint::performance_mode(PerformanceMode::THROUGHPUT);
    ov::CompiledModel compiled;
    for (const ov::AnyMap& config :
         {ov::AnyMap{latency_hint}, ov::AnyMap{throughput_hint},
          ov::AnyMap{ov::num_streams(cores)}}) {
        compiled = core.compile_model(model, device, config);
        std::string asked;
        for (const auto& [key, value] : config)
            asked += (asked.empty() ? "" : ", ") + key + "=" + value.as<std::string>();
        std::printf("%s: %d stream(s) sharing %d thread(s), "
                    "%u request(s) to keep them busy\n",
                    asked.c_str(), compiled.get_property(ov::num_streams).num,
                    compiled.get_property(ov::inference_num_threads),
                    compiled.get_property(ov::optimal_number_of_infer_requests));
    }
    // --8<-- [end:streams]
    ov::CompiledModel latency_model = core.compile_model(model, device, latency_hint);
    ov::CompiledModel throughput_model = core.compile_model(model, device, throughput_hint);
    result["latency_hint_streams"] = latency_model.get_property(ov::num_streams).num;
    result["throughput_hint_streams"] = throughput_model.get_property(ov::num_streams).num;
    result["throughput_hint_threads"] = throughput_model.get_property(ov::inference_num_threads);
    result["explicit_streams"] = compiled.get_property(ov::num_streams).num;
    latency_model = throughput_model = compiled = {};

    // --8<-- [start:pinning]
    const ov::AnyMap asked = {
        // let the OS move inference threads between cores
        ov::hint::enable_cpu_pinning(false),
        // use both logical cores of a physical core
        ov::hint::enable_hyper_threading(true),
        // hybrid CPUs only
        ov::hint::scheduling_core_type(ov::hint::SchedulingCoreType::ECORE_ONLY),
    };
    compiled = core.compile_model(model, device, asked);
    for (const auto& [key, value] : asked)
        std::printf("%s: asked %s, the compiled model uses %s\n", key.c_str(),
                    value.as<std::string>().c_str(),
                    compiled.get_property(key).as<std::string>().c_str());
    ov::CompiledModel with_defaults = core.compile_model(model, device);
    std::string defaults;
    for (const auto& [key, value] : asked)
        defaults += (defaults.empty() ? "" : ", ") + key + "=" +
                    with_defaults.get_property(key).as<std::string>();
    std::printf("defaults here: %s\n", defaults.c_str());
    // --8<-- [end:pinning]
    for (const auto& [key, value] : asked) {
        result["pinning"][key] = compiled.get_property(key).as<std::string>();
        result["pinning_defaults"][key] = with_defaults.get_property(key).as<std::string>();
    }
    result["asked_pinning_read_back"] = compiled.get_property(ov::hint::enable_cpu_pinning);
    result["asked_core_type_read_back"] =
        text(compiled.get_property(ov::hint::scheduling_core_type));
    compiled = with_defaults = {};

    // --8<-- [start:where-threads-run]
    // The CPU sets the process's threads were allowed while inferences ran (Linux).
    auto cpu_sets_while_inferring = [&](ov::CompiledModel& compiled, int count = 30) {
        ov::InferRequest request = compiled.create_infer_request();
        request.set_input_tensor(frame);
        std::set<std::string> seen;
        std::atomic<bool> running{true};
        std::thread watcher([&] {
            while (running) {
                for (const std::string& status :
                     glob_paths("/proc/self/task/*/status")) {
                    std::ifstream lines(status);  // fails if the thread has just ended
                    for (std::string line; std::getline(lines, line);) {
                        std::istringstream words(line);
                        std::string name, cpus;
                        if (words >> name >> cpus && name == "Cpus_allowed_list:")
                            seen.insert(cpus);
                    }
                }
            }
        });
        for (int i = 0; i < count; ++i) request.infer();
        running = false;
        watcher.join();
        return seen;
    };

    std::map<bool, std::set<std::string>> cpu_sets;
    for (bool pinning : {true, false}) {
        compiled = core.compile_model(model, device, latency_hint,
                                      ov::inference_num_threads(1),
                                      ov::hint::enable_cpu_pinning(pinning));
        cpu_sets[pinning] = cpu_sets_while_inferring(compiled);
        std::printf("one inference thread, pinning %s: CPU sets seen %s\n",
                    pinning ? "true" : "false",
                    join({cpu_sets[pinning].begin(), cpu_sets[pinning].end()}).c_str());
    }
    // --8<-- [end:where-threads-run]
    result["cpu_sets_pinning_true"] = cpu_sets[true];
    result["cpu_sets_pinning_false"] = cpu_sets[false];
    auto is_one_cpu = [](const std::string& set) {
        return set.find_first_not_of("0123456789") == std::string::npos;
    };
    std::vector<int> single;
    for (const std::string& set : cpu_sets[true])
        if (is_one_cpu(set)) single.push_back(std::stoi(set));
    result["pinned_to_one_cpu"] = !single.empty();
    result["pinned_cpu"] =
        single.empty() ? json(nullptr) : json(*std::min_element(single.begin(), single.end()));
    result["unpinned_single_cpu_sets"] = json::array();
    for (const std::string& set : cpu_sets[false])
        if (is_one_cpu(set)) result["unpinned_single_cpu_sets"].push_back(set);
    compiled = {};

    // --8<-- [start:numa]
    std::set<std::string> sockets;
    for (const std::string& path :
         glob_paths("/sys/devices/system/cpu/cpu[0-9]*/topology/physical_package_id")) {
        std::string id;
        std::ifstream(path) >> id;
        sockets.insert(id);
    }
    size_t numa_nodes = glob_paths("/sys/devices/system/node/node[0-9]*").size();
    auto count_or_unknown = [](size_t n) { return n ? std::to_string(n) : "?"; };
    std::printf("%s socket(s), %s NUMA node(s)\n",
                count_or_unknown(sockets.size()).c_str(),
                count_or_unknown(numa_nodes).c_str());
    // TENSOR_PARALLEL spreads each inference's work over every socket instead of
    // keeping it on one. Accepted everywhere; with a single socket there is nothing
    // for it to spread.
    using ov::hint::ModelDistributionPolicy;
    std::set<ModelDistributionPolicy> policy = {
        ModelDistributionPolicy::TENSOR_PARALLEL};
    compiled = core.compile_model(model, device, latency_hint,
                                  ov::hint::model_distribution_policy(policy));
    policy =
        compiled.get_property(ov::hint::model_distribution_policy);
    std::printf("model_distribution_policy:");
    for (ModelDistributionPolicy each : policy) std::printf(" %s", text(each).c_str());
    std::printf("\n");
    // --8<-- [end:numa]
    result["sockets"] = sockets.size();
    result["numa_nodes"] = numa_nodes;
    result["distribution_policy"] = json::array();
    for (ModelDistributionPolicy each : policy) result["distribution_policy"].push_back(text(each));
    compiled = {};

    // --8<-- [start:app-threads]
    // The rest of the application: matrix products on a thread pool of its own, one
    // thread per logical CPU unless limited (as BLAS libraries and OpenCV size theirs).
    using Rates = std::pair<double, double>;  // inferences/s, application products/s
    auto app_work = [](std::atomic<bool>& stop, std::atomic<int>& products,
                       unsigned pool_threads = std::thread::hardware_concurrency()) {
        constexpr size_t n = 256;
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < pool_threads; ++t)
            pool.emplace_back([&] {
                std::vector<float> a(n * n, 0.5f), product(n * n);
                while (!stop) {
                    std::fill(product.begin(), product.end(), 0.0f);
                    for (size_t i = 0; i < n; ++i)  // product = a · a
                        for (size_t k = 0; k < n; ++k)
                            for (size_t j = 0; j < n; ++j)
                                product[i * n + j] += a[i * n + k] * a[k * n + j];
                    ++products;
                }
            });
        for (std::thread& thread : pool) thread.join();
    };

    auto app_alone = [&](double seconds = 0.25) {
        std::atomic<bool> stop{false};
        std::atomic<int> products{0};
        std::thread worker([&] { app_work(stop, products); });
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
        stop = true;
        worker.join();
        return products / seconds;
    };

    // Inference frames/s, and the application's products/s beside it (0 without it).
    auto inference_fps = [&](ov::CompiledModel& compiled, bool with_app,
                             unsigned app_threads = std::thread::hardware_concurrency(),
                             double seconds = 0.25) -> Rates {
        ov::InferRequest request = compiled.create_infer_request();
        request.set_input_tensor(frame);
        request.infer();
        std::atomic<bool> stop{false};
        std::atomic<int> products{0};
        std::thread worker;
        if (with_app)
            worker = std::thread([&] { app_work(stop, products, app_threads); });
        int done = 0;
        auto start = perfguide::Clock::now();
        while (perfguide::seconds_since(start) < seconds) {
            request.infer();
            ++done;
        }
        double elapsed = perfguide::seconds_since(start);
        stop = true;
        if (with_app) worker.join();
        return {done / elapsed, products / elapsed};
    };

    const int32_t half = std::max(1, cores / 2);
    ov::CompiledModel all_cores = core.compile_model(model, device, latency_hint);
    ov::CompiledModel half_cores = core.compile_model(model, device, latency_hint,
                                                      ov::inference_num_threads(half));
    const std::string shared = "together, inference on " + std::to_string(cores) +
                               " threads";
    const std::string halved = "together, inference on " + std::to_string(half) +
                               " thread(s)";
    const std::string split = "together, inference on " + std::to_string(half) +
                              ", the application on " + std::to_string(cores - half) +
                              " thread(s)";
    const std::vector<std::pair<std::string, std::function<Rates()>>> runs = {
        {"inference alone", [&] { return inference_fps(all_cores, false); }},
        {"application alone", [&] { return Rates{0.0, app_alone()}; }},
        {shared, [&] { return inference_fps(all_cores, true); }},
        {halved, [&] { return inference_fps(half_cores, true); }},
        {split, [&] { return inference_fps(half_cores, true, cores - half); }},
    };
    std::map<std::string, Rates> best;
    // interleaved rounds; each configuration keeps its best
    for (int round = 0; round < ROUNDS - 1; ++round)
        for (const auto& [name, run] : runs) {
            auto [fps, products] = run();
            if (best[name].first + best[name].second < fps + products)
                best[name] = {fps, products};
        }
    for (const auto& [name, run] : runs)
        std::printf("%s: %.0f inferences/s, %.0f application products/s\n",
                    name.c_str(), best[name].first, best[name].second);
    // --8<-- [end:app-threads]
    // The keys are the Python twin's: "numpy" there is the application's own products here.
    double alone_fps = best["inference alone"].first;
    double app_rate = best["application alone"].second;
    auto [shared_fps, shared_app] = best[shared];
    auto [half_fps, half_app] = best[halved];
    auto [split_fps, split_app] = best[split];
    result["split_fps"] = split_fps;
    result["split_numpy_rate"] = split_app;
    result["split_fps_fraction"] = split_fps / alone_fps;
    result["split_numpy_fraction"] = split_app / app_rate;
    result["alone_fps"] = alone_fps;
    result["numpy_alone_rate"] = app_rate;
    result["shared_fps"] = shared_fps;
    result["shared_numpy_rate"] = shared_app;
    result["half_threads"] = half;
    result["half_fps"] = half_fps;
    result["half_numpy_rate"] = half_app;
    result["shared_fps_fraction"] = shared_fps / alone_fps;
    result["shared_numpy_fraction"] = shared_app / app_rate;
    result["half_fps_fraction"] = half_fps / alone_fps;
    result["half_numpy_fraction"] = half_app / app_rate;
    all_cores = half_cores = {};

    // --8<-- [start:two-processes]
    // Start `count` inference processes together (this program, with --worker): their
    // total frames per second.
    auto run_processes = [&](int count, int32_t threads, bool pinning = true) {
        std::vector<Child> workers;
        for (int i = 0; i < count; ++i)
            workers.emplace_back(std::vector<std::string>{
                "--worker", model_path, std::to_string(threads), pinning ? "1" : "0",
                std::to_string(WORKER_FRAMES)});
        // "ready": compiled and warmed up
        for (Child& worker : workers) worker.read_line();
        auto start = perfguide::Clock::now();
        for (Child& worker : workers) worker.write_line("go");
        bool failed = false;
        for (Child& worker : workers) failed |= worker.wait() != 0;
        if (failed) throw std::runtime_error("an inference process failed");
        return count * WORKER_FRAMES / perfguide::seconds_since(start);
    };

    double two_all_cores = run_processes(2, cores);
    double two_half_pinned = run_processes(2, half);
    double two_half_unpinned = run_processes(2, half, false);
    std::printf("two processes, %d threads each: %.0f frames/s in total\n", cores,
                two_all_cores);
    std::printf("two processes, %d thread(s) each, pinned: %.0f frames/s in total\n",
                half, two_half_pinned);
    std::printf("two processes, %d thread(s) each, not pinned: "
                "%.0f frames/s in total\n", half, two_half_unpinned);
    // --8<-- [end:two-processes]
    result["two_all_cores_fps"] = two_all_cores;
    result["two_half_pinned_fps"] = two_half_pinned;
    result["two_half_unpinned_fps"] = two_half_unpinned;

    auto [omp_threads, threading_libs] = omp_env_probe(model_path);
    result["omp_env_threads"] = omp_threads;
    result["threading_libs"] = threading_libs;
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "--worker" && argc == 6)  // one inference process, started by run_processes
        return run_worker(argv[2], std::stoi(argv[3]), std::string(argv[4]) == "1",
                          std::stoi(argv[5]));
    if (mode == "--omp-probe" && argc == 3)  // started by omp_env_probe
        return omp_probe(argv[2]);
    return perfguide::main(argc, argv, run, "The CPU checklist's examples, in C++.");
}
