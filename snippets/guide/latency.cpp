// Optimizing for latency: the LATENCY hint, and the latency of the *first* inference (the C++
// twin of latency.py: the same sections, the same observations).
//
// Run it yourself:  python scripts/cpp.py run guide/latency --device CPU --model resnet50
#include "snippet.hpp"

#include <algorithm>

#include <openvino/runtime/auto/properties.hpp>

using perfguide::join;
using perfguide::json;
namespace fs = std::filesystem;

namespace {

constexpr int FRAMES = 6;  // per round; small counts keep the example quick
constexpr int ROUNDS = 3;  // interleaved rounds of the latency comparison; the best is kept

json run(const perfguide::Args& args) {
    const std::string model_path = args.model;
    const std::string device = args.device;
    json result = {{"device", device}};

    // --8<-- [start:latency-hint]
    ov::Core core;
    std::shared_ptr<ov::Model> model = core.read_model(model_path);
    using ov::hint::PerformanceMode;
    ov::CompiledModel compiled_model = core.compile_model(
        model, device, ov::hint::performance_mode(PerformanceMode::LATENCY));
    // What the hint resolved to. A virtual device (AUTO, HETERO, ...) reports fewer of
    // these.
    std::vector<ov::PropertyName> supported =
        compiled_model.get_property(ov::supported_properties);
    auto reports = [&](const std::string& name) {
        return std::find(supported.begin(), supported.end(), name) != supported.end();
    };
    for (std::string name : {ov::hint::performance_mode.name(), ov::num_streams.name(),
                             ov::inference_num_threads.name(),
                             ov::optimal_number_of_infer_requests.name(),
                             ov::hint::enable_cpu_pinning.name(),
                             ov::hint::enable_hyper_threading.name(),
                             ov::hint::scheduling_core_type.name()})
        if (reports(name))
            std::printf("%s: %s\n", name.c_str(),
                        compiled_model.get_property(name).as<std::string>().c_str());
    // --8<-- [end:latency-hint]
    result["resolved"] = json::object();
    for (std::string name : {ov::hint::performance_mode.name(), ov::num_streams.name(),
                             ov::inference_num_threads.name(),
                             ov::optimal_number_of_infer_requests.name(),
                             ov::hint::enable_cpu_pinning.name(),
                             ov::hint::enable_hyper_threading.name(),
                             ov::hint::scheduling_core_type.name()})
        if (reports(name))
            result["resolved"][name] = compiled_model.get_property(name).as<std::string>();
    result["latency_hint_requests"] =
        compiled_model.get_property(ov::optimal_number_of_infer_requests);
    const ov::PartialShape input_shape = compiled_model.input(0).get_partial_shape();
    if (input_shape.is_dynamic() || input_shape.rank().get_length() != 4)
        throw perfguide::UsageError(
            "this page needs an image model with one static NCHW input: " + model_path);
    const ov::Shape shape = input_shape.to_shape();
    ov::Tensor frame = perfguide::random_tensor(shape);

    // --8<-- [start:one-request-latency]
    auto median_latency_ms = [&](ov::CompiledModel& compiled) {
        ov::InferRequest request = compiled.create_infer_request();
        request.set_input_tensor(frame);
        // Warm-up: the first inference allocates and selects kernels.
        request.infer();
        std::vector<double> times;
        for (int i = 0; i < FRAMES; ++i) {
            auto start = perfguide::Clock::now();
            request.infer();
            times.push_back(perfguide::seconds_since(start) * 1000);
        }
        return perfguide::median(times);
    };

    ov::CompiledModel throughput_model = core.compile_model(
        model, device, ov::hint::performance_mode(PerformanceMode::THROUGHPUT));
    std::vector<double> latency_runs, throughput_runs;
    // Interleaved, so that other load on the machine hits both alike.
    for (int round = 0; round < ROUNDS; ++round) {
        latency_runs.push_back(median_latency_ms(compiled_model));
        throughput_runs.push_back(median_latency_ms(throughput_model));
    }
    double latency_ms = *std::min_element(latency_runs.begin(), latency_runs.end());
    double throughput_hint_ms =
        *std::min_element(throughput_runs.begin(), throughput_runs.end());
    std::printf("one request at a time: %.1f ms with the LATENCY hint, "
                "%.1f ms with the THROUGHPUT hint\n", latency_ms, throughput_hint_ms);
    // --8<-- [end:one-request-latency]
    result["latency_hint_ms"] = latency_ms;
    result["throughput_hint_ms"] = throughput_hint_ms;
    result["throughput_hint_requests"] =
        throughput_model.get_property(ov::optimal_number_of_infer_requests);
    for (auto [name, compiled] : {std::pair{"latency_hint", &compiled_model},
                                  std::pair{"throughput_hint", &throughput_model}}) {
        std::vector<ov::PropertyName> reported = compiled->get_property(ov::supported_properties);
        auto has = [&](const char* property) {
            return std::find(reported.begin(), reported.end(), property) != reported.end();
        };
        const std::string prefix = name;
        result[prefix + "_streams"] = has(ov::num_streams.name())
            ? json(compiled->get_property(ov::num_streams).num) : json(nullptr);
        result[prefix + "_threads"] = has(ov::inference_num_threads.name())
            ? json(compiled->get_property(ov::inference_num_threads)) : json(nullptr);
    }
    throughput_model = {};

    // --8<-- [start:model-cache]
    // Seconds to compile, seconds to the first result, and whether the cache was used.
    struct FirstResult {
        double compile_s, total_s;
        bool from_cache;
    };
    // `source`: a model file's path or an ov::Model.
    auto first_result = [&](const ov::AnyMap& config, const auto& source,
                            const ov::Tensor& inputs) {
        auto start = perfguide::Clock::now();
        ov::Core fresh_core;  // a new application start: nothing compiled in memory
        ov::CompiledModel loaded = fresh_core.compile_model(source, device, config);
        double compiled_s = perfguide::seconds_since(start);
        ov::InferRequest request = loaded.create_infer_request();
        request.set_input_tensor(inputs);
        request.infer();
        return FirstResult{compiled_s, perfguide::seconds_since(start),
                           loaded.get_property(ov::loaded_from_cache)};
    };

    // In an application: a folder that persists.
    perfguide::TempDir cache_dir;
    const ov::AnyMap cached = {ov::cache_dir(cache_dir.str())};
    FirstResult cold = first_result({}, model_path, frame);
    // Compiles, then writes the blob.
    FirstResult filling = first_result(cached, model_path, frame);
    // Imports the blob instead of compiling.
    FirstResult from_cache = first_result(cached, model_path, frame);
    const std::pair<const char*, FirstResult> steps[] = {
        {"cold", cold}, {"filling the cache", filling}, {"from the cache", from_cache}};
    for (auto [label, step] : steps)
        std::printf("%s: compile %.0f ms, first result %.0f ms, loaded_from_cache=%s\n",
                    label, step.compile_s * 1000, step.total_s * 1000,
                    step.from_cache ? "true" : "false");
    // --8<-- [end:model-cache]
    result["cold_compile_ms"] = cold.compile_s * 1000;
    result["cold_first_result_ms"] = cold.total_s * 1000;
    result["filling_compile_ms"] = filling.compile_s * 1000;
    result["cached_compile_ms"] = from_cache.compile_s * 1000;
    result["cached_first_result_ms"] = from_cache.total_s * 1000;
    result["cold_loaded_from_cache"] = cold.from_cache;
    result["filling_loaded_from_cache"] = filling.from_cache;
    result["cached_loaded_from_cache"] = from_cache.from_cache;

    // --8<-- [start:cache-key]
    auto blobs = [&] {
        long count = 0;
        for (const fs::directory_entry& entry : fs::directory_iterator(cache_dir.path))
            count += entry.path().extension() == ".blob";
        return count;
    };

    auto before = blobs();
    // A different configuration of the same model on the same device ...
    const ov::AnyMap other_config = {
        ov::cache_dir(cache_dir.str()),
        ov::hint::performance_mode(PerformanceMode::THROUGHPUT),
        ov::hint::execution_mode(ov::hint::ExecutionMode::ACCURACY)};
    bool config_from_cache = first_result(other_config, model_path, frame).from_cache;
    auto config_blobs = blobs() - before;
    std::printf("changed config: loaded_from_cache=%s, new blobs: %ld\n",
                config_from_cache ? "true" : "false", config_blobs);

    // ... and a different model: the same network reshaped to a batch of 2.
    std::shared_ptr<ov::Model> batch_of_two = core.read_model(model_path);
    ov::Shape two_frames = shape;
    two_frames[0] = 2;
    batch_of_two->reshape(ov::PartialShape(two_frames));  // its one input
    ov::Tensor pair(ov::element::f32, two_frames);
    std::copy_n(frame.data<const float>(), frame.get_size(), pair.data<float>());
    std::copy_n(frame.data<const float>(), frame.get_size(),
                pair.data<float>() + frame.get_size());
    bool model_from_cache = first_result(cached, batch_of_two, pair).from_cache;
    auto model_blobs = blobs() - before - config_blobs;
    std::printf("changed model: loaded_from_cache=%s, new blobs: %ld\n",
                model_from_cache ? "true" : "false", model_blobs);
    // --8<-- [end:cache-key]
    result["changed_config_loaded_from_cache"] = config_from_cache;
    result["changed_config_new_blobs"] = config_blobs;
    result["changed_model_loaded_from_cache"] = model_from_cache;
    result["changed_model_new_blobs"] = model_blobs;

    // --8<-- [start:cache-by-path]
    // compile_model(path) looks a blob up by the file's path; the blob also records the
    // file's size and modification time. A model object is looked up by its graph and
    // weights.
    auto model_files = [](const fs::path& path) {
        fs::path weights = fs::path(path).replace_extension(".bin");
        if (path.extension() == ".xml" && fs::exists(weights))
            return std::vector<fs::path>{path, weights};
        return std::vector<fs::path>{path};
    };

    perfguide::TempDir by_path;
    const ov::AnyMap by_path_cache = {ov::cache_dir(by_path.str())};
    // fills the cache for the model's own path
    first_result(by_path_cache, model_path, frame);
    perfguide::TempDir moved;
    for (const fs::path& name : model_files(model_path)) {
        // the same bytes and times, in another folder
        fs::path to = moved.path / name.filename();
        fs::copy_file(name, to);
        fs::last_write_time(to, fs::last_write_time(name));
    }
    const std::string copy = (moved.path / fs::path(model_path).filename()).string();
    bool copy_hit = first_result(by_path_cache, copy, frame).from_cache;
    // the same file at the same path, modified now
    fs::last_write_time(copy, fs::file_time_type::clock::now());
    bool touched_hit = first_result(by_path_cache, copy, frame).from_cache;
    first_result(by_path_cache, core.read_model(model_path), frame);
    bool object_hit =
        first_result(by_path_cache, core.read_model(copy), frame).from_cache;
    std::printf("the file at another path: loaded_from_cache=%s\n",
                copy_hit ? "true" : "false");
    std::printf("the same path, modified: loaded_from_cache=%s\n",
                touched_hit ? "true" : "false");
    std::printf("a model object read from the copy: loaded_from_cache=%s\n",
                object_hit ? "true" : "false");
    // --8<-- [end:cache-by-path]
    result["copied_file_loaded_from_cache"] = copy_hit;
    result["touched_file_loaded_from_cache"] = touched_hit;
    result["model_object_loaded_from_cache"] = object_hit;
    try {  // which properties enter the device's cache key (internal, not always there)
        std::vector<ov::PropertyName> caching =
            core.get_property(device, "CACHING_PROPERTIES").as<std::vector<ov::PropertyName>>();
        std::vector<std::string> names(caching.begin(), caching.end());
        std::sort(names.begin(), names.end());
        result["caching_properties"] = names;
    } catch (const ov::Exception&) {
        result["caching_properties"] = nullptr;
    }

    // --8<-- [start:mmap]
    // The model, milliseconds to read it, and MiB of resident memory it added.
    struct Read {
        std::shared_ptr<ov::Model> model;
        double ms, mib;
    };
    auto read_with = [&](bool mmap) {
        ov::Core reader;
        reader.set_property(ov::enable_mmap(mmap));
        auto before_rss = perfguide::resident_bytes();
        auto start = perfguide::Clock::now();
        std::shared_ptr<ov::Model> read = reader.read_model(model_path);
        double elapsed_ms = perfguide::seconds_since(start) * 1000;
        return Read{read, elapsed_ms,
                    (perfguide::resident_bytes() - before_rss) / double(1 << 20)};
    };

    Read mapped = read_with(true);  // the default for IR files
    Read copied = read_with(false);
    std::printf("read_model with mmap: %.0f ms, +%.0f MiB resident; "
                "without: %.0f ms, +%.0f MiB resident\n",
                mapped.ms, mapped.mib, copied.ms, copied.mib);
    // --8<-- [end:mmap]
    result["mmap_read_ms"] = mapped.ms;
    result["mmap_rss_mib"] = mapped.mib;
    result["no_mmap_read_ms"] = copied.ms;
    result["no_mmap_rss_mib"] = copied.mib;
    const fs::path weights = fs::path(model_path).replace_extension(".bin");
    result["weights_file_mib"] =
        fs::exists(weights) ? json(fs::file_size(weights) / double(1 << 20)) : json(nullptr);
    mapped = copied = {};

    // --8<-- [start:startup-fallback]
    std::vector<std::string> accelerators;
    for (const std::string& each : core.get_available_devices())
        if (each.rfind("CPU", 0) != 0) accelerators.push_back(each);
    if (accelerators.empty())
        std::printf("no accelerator here: AUTO selects the CPU directly, "
                    "there is no compile to hide\n");
    for (bool fallback : {true, false}) {
        auto start = perfguide::Clock::now();
        ov::Core auto_core;
        ov::CompiledModel auto_model = auto_core.compile_model(
            model_path, "AUTO", ov::hint::performance_mode(PerformanceMode::LATENCY),
            ov::intel_auto::enable_startup_fallback(fallback));
        ov::InferRequest request = auto_model.create_infer_request();
        request.set_input_tensor(frame);
        request.infer();
        double first_ms = perfguide::seconds_since(start) * 1000;
        std::vector<std::string> ran_on =
            auto_model.get_property(ov::execution_devices);
        std::printf("AUTO, enable_startup_fallback=%s: first result %.0f ms, "
                    "ran on %s\n",
                    fallback ? "true" : "false", first_ms, join(ran_on).c_str());
        const std::string key = fallback ? "auto_fallback_true" : "auto_fallback_false";
        result[key + "_ms"] = first_ms;
        result[key + "_devices"] = ran_on;
    }
    // --8<-- [end:startup-fallback]
    result["accelerators"] = accelerators;
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    return perfguide::main(argc, argv, run, "The latency page's examples, in C++.");
}
