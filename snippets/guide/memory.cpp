// Memory footprint: what reading, compiling, streams and requests cost in resident memory, and
// how to give it back (the C++ twin of memory.py: the same sections, the same observations).
//
// Run it yourself:  python scripts/cpp.py run guide/memory --device CPU --model resnet50
#include "snippet.hpp"

#include <fstream>
#include <string>

#include <unistd.h>


using perfguide::json;

namespace {

const int STREAMS[] = {1, 2};
const int REQUESTS[] = {1, 2, 4};
constexpr double MIB = 1 << 20;

// Resident pages of files (weights mapped by mmap, the program's own libraries), in bytes:
// the third field of /proc/self/statm (psutil's memory_info().shared).
std::int64_t file_backed_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::int64_t size = 0, resident = 0, shared = 0;
    statm >> size >> resident >> shared;
    return shared * sysconf(_SC_PAGESIZE);
}

// The peak resident memory of this process, in bytes: VmHWM in /proc/self/status (Linux).
// Not getrusage's ru_maxrss, which Linux carries across the exec that started this process,
// so that a child spawned by a large parent would report the parent's peak as its own.
std::int64_t peak_resident_bytes() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;  // kB
    throw std::runtime_error("no VmHWM in /proc/self/status");
}

// --8<-- [start:footprint]
// Resident memory (MiB) added by each step, in a process that has done nothing else
// yet.
json footprint(const std::string& model_path, const std::string& device, bool mmap,
               int streams, int requests) {
    ov::Core core;
    core.set_property(ov::enable_mmap(mmap));
    auto base = perfguide::resident_bytes(), base_file = file_backed_bytes();
    std::shared_ptr<ov::Model> model = core.read_model(model_path);
    auto after_read = perfguide::resident_bytes();
    ov::CompiledModel compiled = core.compile_model(
        model, device, ov::num_streams(streams), ov::hint::num_requests(requests));
    auto after_compile = perfguide::resident_bytes();
    std::vector<ov::InferRequest> pool;
    ov::Tensor input = perfguide::random_tensor(compiled.input(0).get_shape());
    for (int i = 0; i < requests; ++i) {
        pool.push_back(compiled.create_infer_request());
        pool.back().set_input_tensor(input);
    }
    for (int i = 0; i < 2; ++i) {  // all requests at once, so that every stream runs
        for (ov::InferRequest& request : pool) request.start_async();
        for (ov::InferRequest& request : pool) request.wait();
    }
    auto after_infer = perfguide::resident_bytes();
    // Pages of files: weights mapped by mmap.
    auto file_backed = file_backed_bytes() - base_file;
    auto peak = peak_resident_bytes();  // the process's highest resident memory so far
    return {{"read_mib", (after_read - base) / MIB},
            {"compile_mib", (after_compile - after_read) / MIB},
            {"infer_mib", (after_infer - after_compile) / MIB},
            {"total_mib", (after_infer - base) / MIB},
            {"file_backed_mib", file_backed / MIB}, {"peak_mib", (peak - base) / MIB}};
}

// Run `footprint` in a fresh process of this program, so that nothing freed earlier
// is reused.
json measure(const std::string& model_path, const std::string& device, bool mmap = true,
             int streams = 1, int requests = 1) {
    perfguide::Child child({"--footprint", model_path, device, mmap ? "1" : "0",
                            std::to_string(streams), std::to_string(requests)});
    std::string output = child.read_all();
    if (child.wait() != 0) throw std::runtime_error("a --footprint process failed");
    output.erase(output.find_last_not_of('\n') + 1);
    return json::parse(output.substr(output.rfind('\n') + 1));
}
// --8<-- [end:footprint]

json run(const perfguide::Args& args) {
    const std::string model_path = args.model;
    const std::string device = args.device;
    if (device.substr(0, device.find('.')) != "CPU")
        throw perfguide::UsageError(
            "the memory page measures the CPU device's host memory, not '" + device + "'");
    json result = {{"device", device}};
    {
        std::shared_ptr<ov::Model> checked = ov::Core().read_model(model_path);
        if (checked->inputs().size() != 1 || checked->input(0).get_partial_shape().is_dynamic())
            throw perfguide::UsageError("this page needs a model with one static input: " +
                                        model_path);
    }

    // --8<-- [start:release]
    ov::Core core;
    auto before = perfguide::resident_bytes();
    std::shared_ptr<ov::Model> model = core.read_model(model_path);
    using ov::hint::PerformanceMode;
    ov::CompiledModel compiled_model = core.compile_model(
        model, device, ov::hint::performance_mode(PerformanceMode::THROUGHPUT));
    std::vector<ov::InferRequest> requests(
        compiled_model.get_property(ov::optimal_number_of_infer_requests));
    ov::Tensor input = perfguide::random_tensor(compiled_model.input(0).get_shape());
    for (ov::InferRequest& request : requests) {
        request = compiled_model.create_infer_request();
        request.set_input_tensor(input);
        request.infer();
    }
    auto loaded = perfguide::resident_bytes();
    size_t count = requests.size();

    // Every reference: the model is freed with the last.
    requests.clear();
    compiled_model = {};
    model.reset();
    auto released = perfguide::resident_bytes();
    std::printf("resident memory: +%.0f MiB with the model compiled and %zu requests "
                "run, +%.0f MiB after releasing them\n",
                (loaded - before) / MIB, count, (released - before) / MIB);
    // --8<-- [end:release]
    result["release_requests"] = count;
    result["loaded_mib"] = (loaded - before) / MIB;
    result["released_mib"] = (released - before) / MIB;
    result["given_back_mib"] = (loaded - released) / MIB;

    // --8<-- [start:mmap]
    json mapped = measure(model_path, device, true);
    json copied = measure(model_path, device, false);
    auto print_step = [](const char* name, const json& step) {
        std::printf("%s: read_model +%.0f MiB, compile_model +%.0f MiB, "
                    "in all +%.0f MiB of which %.0f MiB file-backed; peak +%.0f MiB\n",
                    name, double(step["read_mib"]), double(step["compile_mib"]),
                    double(step["total_mib"]), double(step["file_backed_mib"]),
                    double(step["peak_mib"]));
    };
    print_step("mmap on ", mapped);
    print_step("mmap off", copied);
    // --8<-- [end:mmap]
    result["mmap"] = mapped;
    result["no_mmap"] = copied;
    for (const json* step : {&mapped, &copied}) {
        const std::string p = step == &mapped ? "mmap_" : "no_mmap_";
        const json& s = *step;
        result[p + "read_mib"] = s["read_mib"];
        result[p + "total_mib"] = s["total_mib"];
        result[p + "peak_mib"] = s["peak_mib"];
        result[p + "compile_mib"] = s["compile_mib"];
        result[p + "file_mib"] = s["file_backed_mib"];
        result[p + "anonymous_mib"] =
            s["total_mib"].get<double>() - s["file_backed_mib"].get<double>();
    }

    // --8<-- [start:compile-threads]
    bool accepted = false;
    try {
        core.compile_model(model_path, device, ov::compilation_num_threads(1));
        accepted = true;
        std::printf("%s accepts compilation_num_threads\n", device.c_str());
    } catch (const ov::Exception& error) {  // the plugin names the property it refuses
        std::printf("%s rejects compilation_num_threads: %s\n", device.c_str(),
                    perfguide::last_line(error).c_str());
    }
    // --8<-- [end:compile-threads]
    result["compile_threads_accepted"] = accepted;

    // --8<-- [start:streams-and-requests]
    json table = json::array();
    for (int streams : STREAMS) {
        for (int count : REQUESTS) {
            json step = (streams == 1 && count == 1)
                            ? mapped
                            : measure(model_path, device, true, streams, count);
            json row = {{"streams", streams}, {"requests", count}};
            row.update(step);
            table.push_back(row);
            std::printf("%d stream(s), %d request(s): +%.0f MiB resident "
                        "(compile +%.0f, inference +%.0f), peak +%.0f MiB\n",
                        streams, count, double(step["total_mib"]),
                        double(step["compile_mib"]), double(step["infer_mib"]),
                        double(step["peak_mib"]));
        }
    }
    // --8<-- [end:streams-and-requests]
    result["table"] = table;
    const int max_requests = REQUESTS[std::size(REQUESTS) - 1];
    auto total = [&](int streams, int count, const char* key = "total_mib") {
        for (const json& row : table)
            if (row["streams"] == streams && row["requests"] == count)
                return row[key].get<double>();
        throw std::logic_error("no such row");
    };
    result["s1r1_mib"] = total(1, 1);
    result["s1r4_mib"] = total(1, max_requests);
    result["s2r1_mib"] = total(2, 1);
    result["s2r4_mib"] = total(2, max_requests);
    result["s1r1_peak_mib"] = total(1, 1, "peak_mib");
    result["s2r4_peak_mib"] = total(2, max_requests, "peak_mib");
    result["max_requests"] = max_requests;
    result["per_request_mib_one_stream"] =
        (total(1, max_requests) - total(1, 1)) / (max_requests - 1);
    result["extra_mib_s2r4"] = total(2, max_requests) - total(1, 1);
    result["second_stream_mib"] = total(2, 1) - total(1, 1);
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    // One measurement, started by measure() in a fresh process.
    if (argc == 7 && std::string(argv[1]) == "--footprint") {
        json step = footprint(argv[2], argv[3], std::string(argv[4]) == "1",
                              std::stoi(argv[5]), std::stoi(argv[6]));
        std::cout << step.dump() << std::endl;
        return 0;
    }
    return perfguide::main(argc, argv, run, "The Memory footprint page's examples, in C++.");
}
