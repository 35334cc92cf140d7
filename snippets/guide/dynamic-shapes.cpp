// Dynamic shapes: static, dynamic and bounded dimensions, making a model static with reshape, and
// what a dynamic model costs next to a static model per length and next to padding into a few
// buckets; what benchmark_app needs for a dynamic model (the C++ twin of dynamic-shapes.py: the
// same sections, the same observations).
//
// Run it yourself:  python scripts/cpp.py run guide/dynamic-shapes --device CPU --model bert-base
// (--model also takes your own .xml or .onnx model with dynamic dimensions: a dynamic dimension
// 0 is fixed to 1, every other dynamic dimension takes each of LENGTHS in turn.)
#include "snippet.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <regex>
#include <sstream>

#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>

using perfguide::json;
using perfguide::text;

namespace {

const std::vector<int64_t> LENGTHS = {16, 64, 128, 256};  // the mix of sequence lengths fed
const std::vector<int64_t> BUCKETS = {64, 256};  // padding targets, each one of LENGTHS
constexpr int64_t BOUND = 512;  // the upper bound of the bounded variant: BERT has 512 positions
constexpr int ROUNDS = 5;       // interleaved rounds over every length, after the first inferences
const ov::AnyMap LATENCY = {ov::hint::performance_mode(ov::hint::PerformanceMode::LATENCY)};

std::string input_name(const ov::Output<const ov::Node>& port) {
    return port.get_names().empty() ? port.get_node()->get_friendly_name() : port.get_any_name();
}

// --8<-- [start:shape-at]
// The input's shape with a dynamic dimension 0 (the batch) set to 1 and every other
// dynamic dimension set to `length`: a number, or an ov::Dimension(low, high).
ov::PartialShape shape_at(const ov::Output<const ov::Node>& port,
                          const ov::Dimension& length) {
    ov::PartialShape shape = port.get_partial_shape();
    for (size_t axis = 0; axis < shape.size(); ++axis)
        if (shape[axis].is_dynamic())
            shape[axis] = axis == 0 ? ov::Dimension(1) : length;
    return shape;
}

// Reshape every input of `model` that way: reshape takes a map keyed by input.
void reshape_at(ov::Model& model, const ov::Dimension& length) {
    std::map<ov::Output<ov::Node>, ov::PartialShape> shapes;
    for (const ov::Output<ov::Node>& port : model.inputs())
        shapes[port] = shape_at(port, length);
    model.reshape(shapes);
}
// --8<-- [end:shape-at]

// --8<-- [start:compile-variant]
// This process's resident memory that is its own (not pages of mapped files), in MiB.
double private_mib() {
    std::ifstream statm("/proc/self/statm");
    long size = 0, resident = 0, shared = 0;
    statm >> size >> resident >> shared;
    return double(resident - shared) * sysconf(_SC_PAGESIZE) / (1 << 20);
}

struct Variant {
    ov::CompiledModel compiled;
    double compile_ms = 0, mib = 0;  // compile time, and the memory compiling took
};

// Read the model, fix its dynamic dimensions to `length` (none: leave them as
// they are) and compile it.
Variant compile_variant(ov::Core& core, const std::string& model_path,
                        const std::string& device,
                        std::optional<ov::Dimension> length = std::nullopt) {
    std::shared_ptr<ov::Model> model = core.read_model(model_path);
    if (length) reshape_at(*model, *length);
    double before = private_mib();
    auto start = perfguide::Clock::now();
    ov::CompiledModel compiled = core.compile_model(model, device, LATENCY);
    return {compiled, perfguide::seconds_since(start) * 1000, private_mib() - before};
}
// --8<-- [end:compile-variant]

// --8<-- [start:pad]
// Each input padded with zeros to `length` along its dynamic dimensions (not the
// batch). For BERT, token id 0 is [PAD] and a mask of 0 hides the padding.
std::vector<ov::Tensor> pad_to(const std::vector<ov::Tensor>& feed,
                               const ov::Model& model, int64_t length) {
    std::vector<ov::Tensor> padded;
    for (size_t i = 0; i < feed.size(); ++i) {
        const ov::PartialShape dims = model.input(i).get_partial_shape();
        ov::Shape shape = feed[i].get_shape();
        for (size_t axis = 1; axis < shape.size(); ++axis)
            if (dims[axis].is_dynamic()) shape[axis] = length;
        ov::Tensor out(feed[i].get_element_type(), shape);
        std::memset(out.data(), 0, out.get_byte_size());
        // The input goes at the start of each padded dimension: a region of `out`.
        ov::Tensor region(out, ov::Coordinate(shape.size(), 0),
                          ov::Coordinate(feed[i].get_shape()));
        feed[i].copy_to(region);
        padded.push_back(out);
    }
    return padded;
}
// --8<-- [end:pad]

// What this program fixes and varies in `model`, as lines to print; a UsageError, in one line,
// for a model it cannot run the same way as the zoo's bert-base (dynamic-shapes.py's plan).
std::vector<std::string> plan(const ov::Model& model) {
    std::vector<std::string> fixed, varied;
    for (const ov::Output<const ov::Node>& port : model.inputs()) {
        const std::string name = input_name(port);
        const ov::PartialShape shape = port.get_partial_shape();
        if (shape.rank().is_dynamic())
            throw perfguide::UsageError(
                "input '" + name + "' has a dynamic rank (" + text(shape) + "): this page varies "
                "the length of known dimensions; reshape the model to a fixed rank first");
        for (size_t axis = 0; axis < shape.size(); ++axis) {
            const ov::Dimension& dim = shape[axis];
            if (dim.is_static()) continue;
            if (axis == 0) {
                fixed.push_back(name + " dimension 0");
                continue;
            }
            int64_t low = dim.get_min_length(), high = dim.get_max_length();
            if (low > LENGTHS.front() || (0 <= high && high < BOUND))
                throw perfguide::UsageError(
                    "input '" + name + "' dimension " + std::to_string(axis) + " is bounded to " +
                    text(dim) + ": this page feeds lengths " + std::to_string(LENGTHS.front()) +
                    " to " + std::to_string(LENGTHS.back()) + " and bounds at 1.." +
                    std::to_string(BOUND));
            varied.push_back(name + " dimension " + std::to_string(axis));
        }
    }
    auto joined = [](const std::vector<std::string>& parts) {
        std::string all;
        for (const std::string& part : parts) all += (all.empty() ? "" : ", ") + part;
        return all;
    };
    if (varied.empty()) {
        std::vector<std::string> inputs;
        for (const ov::Output<const ov::Node>& port : model.inputs())
            inputs.push_back(input_name(port) + text(port.get_partial_shape()));
        throw perfguide::UsageError("the model has no dynamic dimension beyond the batch "
                                    "(inputs: " + joined(inputs) +
                                    "): nothing for this page to vary");
    }
    std::vector<std::string> lengths;
    for (int64_t n : LENGTHS) lengths.push_back(std::to_string(n));
    std::vector<std::string> lines;
    if (!fixed.empty()) lines.push_back("fixed to 1: " + joined(fixed));
    lines.push_back("varied over " + joined(lengths) + ": " + joined(varied));
    return lines;
}

// One tensor per model input, in the model's input order (perfguide.inputs.random_inputs):
// token ids in [0, 1000) for an integer input, ones for a mask, zeros for token types, uniform
// floats in [0, 1) otherwise; a dynamic dimension 0 is 1, every other one `seq_len` (clamped
// into its bounds).
std::vector<ov::Tensor> random_inputs(const ov::Model& model, int64_t seq_len) {
    std::mt19937 engine(0);
    std::vector<ov::Tensor> feed;
    for (const ov::Output<const ov::Node>& port : model.inputs()) {
        const ov::PartialShape partial = port.get_partial_shape();
        ov::Shape shape;
        for (size_t axis = 0; axis < partial.size(); ++axis) {
            const ov::Dimension& dim = partial[axis];
            int64_t want = dim.is_static() ? dim.get_length() : axis == 0 ? 1 : seq_len;
            int64_t upper = dim.get_max_length();
            int64_t clamped = upper >= 0 ? std::min(want, upper) : want;
            shape.push_back(std::max(dim.get_min_length(), clamped));
        }
        std::string lowered = input_name(port);
        std::transform(lowered.begin(), lowered.end(), lowered.begin(), ::tolower);
        const ov::element::Type type = port.get_element_type();
        ov::Tensor tensor(type, shape);
        auto fill = [&](auto* data) {
            std::uniform_int_distribution<int64_t> ids(0, 999);
            for (size_t i = 0; i < tensor.get_size(); ++i)
                data[i] = lowered.find("mask") != std::string::npos         ? 1
                          : lowered.find("token_type") != std::string::npos ? 0
                                                                            : ids(engine);
        };
        if (type == ov::element::i64) {
            fill(tensor.data<int64_t>());
        } else if (type == ov::element::i32) {
            fill(tensor.data<int32_t>());
        } else if (type == ov::element::f32) {
            std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
            float* data = tensor.data<float>();
            for (size_t i = 0; i < tensor.get_size(); ++i)
                data[i] = lowered.find("mask") != std::string::npos         ? 1.0f
                          : lowered.find("token_type") != std::string::npos ? 0.0f
                                                                            : uniform(engine);
        } else {
            throw perfguide::UsageError("input '" + input_name(port) + "' has element type " +
                                        type.get_type_name() + ": no random data for it");
        }
        feed.push_back(tensor);
    }
    return feed;
}

// Element i of a tensor of numbers, as a double.
double value_at(const ov::Tensor& tensor, size_t i) {
    const ov::element::Type type = tensor.get_element_type();
    if (type == ov::element::f32) return tensor.data<const float>()[i];
    if (type == ov::element::f16) return float(tensor.data<const ov::float16>()[i]);
    if (type == ov::element::bf16) return float(tensor.data<const ov::bfloat16>()[i]);
    if (type == ov::element::f64) return tensor.data<const double>()[i];
    if (type == ov::element::i64) return double(tensor.data<const int64_t>()[i]);
    if (type == ov::element::i32) return tensor.data<const int32_t>()[i];
    throw perfguide::UsageError("an output of element type " + type.get_type_name() +
                                ": this page compares numbers only");
}

// The largest difference between two inferences' outputs, `other` cut back to the reference's
// shape first (a padded input gives longer outputs).
double max_difference(const std::vector<ov::Tensor>& reference,
                      const std::vector<ov::Tensor>& other) {
    double worst = 0;
    for (size_t k = 0; k < reference.size(); ++k) {
        const ov::Shape shape = reference[k].get_shape();
        ov::Tensor cut(other[k].get_element_type(), shape);
        ov::Tensor(other[k], ov::Coordinate(shape.size(), 0), ov::Coordinate(shape)).copy_to(cut);
        for (size_t i = 0; i < cut.get_size(); ++i)
            worst = std::max(worst, std::fabs(value_at(cut, i) - value_at(reference[k], i)));
    }
    return worst;
}

// benchmark_app's median latency (ms) of each data shape group, in -data_shape order.
std::vector<double> group_medians(const std::string& output) {
    static const std::regex group(R"(^\[ INFO \] (\d+)\. )");
    static const std::regex median_line(R"(Median:\s+([0-9.]+)\s*(ms|us))");
    std::vector<double> medians;
    bool in_group = false;
    std::istringstream lines(output);
    std::string line;
    std::smatch m;
    while (std::getline(lines, line)) {
        if (std::regex_search(line, group)) {
            in_group = true;
        } else if (in_group && std::regex_search(line, m, median_line)) {
            medians.push_back(std::stod(m[1]) / (m[2] == "us" ? 1000 : 1));
            in_group = false;
        }
    }
    return medians;
}

// OpenVINO's benchmark_app (it comes with the openvino package): in the bin/ folder of the
// environment whose OpenVINO runtime this program runs on, else on PATH.
std::optional<std::string> benchmark_app_path() {
    auto runnable = [](const std::filesystem::path& path) {
        return std::filesystem::is_regular_file(path) && access(path.c_str(), X_OK) == 0;
    };
    Dl_info runtime{};
    if (dladdr(reinterpret_cast<void*>(&ov::get_openvino_version), &runtime) &&
        runtime.dli_fname) {
        std::filesystem::path folder =
            std::filesystem::weakly_canonical(runtime.dli_fname).parent_path();
        for (; folder.has_relative_path(); folder = folder.parent_path())
            if (runnable(folder / "bin" / "benchmark_app"))
                return (folder / "bin" / "benchmark_app").string();
    }
    if (const char* path = std::getenv("PATH")) {
        std::istringstream folders(path);
        std::string folder;
        while (std::getline(folders, folder, ':'))
            if (!folder.empty() && runnable(std::filesystem::path(folder) / "benchmark_app"))
                return (std::filesystem::path(folder) / "benchmark_app").string();
    }
    return std::nullopt;
}

std::string shell_quoted(const std::string& word) {
    std::string quoted = "'";
    for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

// Run the benchmark_app command the page shows; its median latency at each length.
json run_benchmark_app(const std::vector<std::string>& command) {
    std::optional<std::string> program = benchmark_app_path();
    if (!program) {
        std::printf("benchmark_app not run: benchmark_app not found beside the OpenVINO runtime "
                    "or on PATH; it comes with the openvino package (pip install openvino)\n");
        return {{"benchmark_app_ran", false}};
    }
    std::string line = shell_quoted(*program);
    for (size_t i = 1; i < command.size(); ++i) line += " " + shell_quoted(command[i]);
    std::fflush(stdout);
    std::string output;
    FILE* pipe = popen((line + " 2>&1").c_str(), "r");
    if (!pipe) throw std::runtime_error("cannot start " + *program);
    char buffer[4096];
    for (size_t got; (got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
        output.append(buffer, got);
    int status = pclose(pipe);
    int returncode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::vector<double> medians = group_medians(output);
    json found = {{"benchmark_app_ran", true},
                  {"benchmark_app_returncode", returncode},
                  {"benchmark_app_groups", medians.size()}};
    if (returncode != 0) {
        std::string last;
        std::istringstream lines(output);
        for (std::string each; std::getline(lines, each);)
            if (each.find_first_not_of(" \t\r") != std::string::npos) last = each;
        found["benchmark_app_error"] = last.substr(0, 300);
        std::printf("benchmark_app failed: %s\n", last.substr(0, 300).c_str());
    }
    std::printf("benchmark_app median ms per data shape:");
    for (size_t i = 0; i < medians.size() && i < LENGTHS.size(); ++i) {
        found["benchmark_app_ms_" + std::to_string(LENGTHS[i])] = medians[i];
        std::printf("%s %lld: %.1f", i ? "," : "", (long long)LENGTHS[i], medians[i]);
    }
    std::printf("\n");
    return found;
}

json examples(const std::string& device, const std::string& model_path,
              const std::vector<int64_t>& lengths, const std::vector<int64_t>& buckets,
              int rounds, json result) {
    // --8<-- [start:read-shapes]
    ov::Core core;
    std::shared_ptr<ov::Model> model = core.read_model(model_path);
    for (const ov::Output<ov::Node>& port : model->inputs()) {
        const ov::PartialShape& shape = port.get_partial_shape();
        std::cout << port.get_any_name() << ": " << shape << ", dynamic: "
                  << std::boolalpha << shape.is_dynamic() << ", bounds:";
        // A dimension's bounds: min and max length, -1 for "no upper bound".
        for (const ov::Dimension& dim : shape)
            std::cout << " (" << dim.get_min_length() << ", " << dim.get_max_length()
                      << ")";
        std::cout << "\n";
    }
    // --8<-- [end:read-shapes]
    auto shapes_of = [](const std::vector<ov::Output<const ov::Node>>& ports) {
        json shapes = json::object();
        for (const auto& port : ports) shapes[input_name(port)] = text(port.get_partial_shape());
        return shapes;
    };
    const ov::Model& read = *model;
    const std::vector<ov::Output<const ov::Node>> read_inputs = read.inputs();
    result["read_shapes"] = shapes_of(read_inputs);
    result["read_dynamic"] = std::all_of(read_inputs.begin(), read_inputs.end(), [](auto& p) {
        return p.get_partial_shape().is_dynamic();
    });

    // --8<-- [start:bounded]
    std::shared_ptr<ov::Model> bounded = core.read_model(model_path);
    // Batch 1, and every other dynamic dimension from 1 to 512 long.
    reshape_at(*bounded, ov::Dimension(1, 512));
    for (const ov::Output<ov::Node>& port : bounded->inputs())
        std::cout << "bounded " << port.get_any_name() << ": "
                  << port.get_partial_shape() << "\n";

    std::shared_ptr<ov::Model> static_model = core.read_model(model_path);
    reshape_at(*static_model, 128);
    for (const ov::Output<ov::Node>& port : static_model->inputs()) {
        const ov::PartialShape& shape = port.get_partial_shape();
        std::cout << "static " << port.get_any_name() << ": " << shape
                  << ", static: " << std::boolalpha << shape.is_static() << "\n";
    }
    // --8<-- [end:bounded]
    const std::vector<ov::Output<const ov::Node>> static_inputs =
        std::as_const(*static_model).inputs();
    result["bounded_shapes"] = shapes_of(std::as_const(*bounded).inputs());
    result["static_shapes"] = shapes_of(static_inputs);
    result["static_is_static"] =
        std::all_of(static_inputs.begin(), static_inputs.end(),
                    [](auto& p) { return p.get_partial_shape().is_static(); });
    result["bound_dimension"] = json::array();
    for (const auto& port : read_inputs)
        result["bound_dimension"].push_back(text(shape_at(port, ov::Dimension(1, BOUND))));

    // One input per length, in the model's input order: random token ids, a mask of
    // ones, token types of zeros (or random values, for your own model).
    std::map<int64_t, std::vector<ov::Tensor>> feeds;
    for (int64_t n : lengths) feeds[n] = random_inputs(read, n);
    feeds[BOUND + 1] = random_inputs(read, BOUND + 1);

    // --8<-- [start:bounds-enforced]
    // One tensor per input, in the model's input order.
    auto infer = [](ov::InferRequest& request, const std::vector<ov::Tensor>& feed) {
        for (size_t i = 0; i < feed.size(); ++i) request.set_input_tensor(i, feed[i]);
        request.infer();
    };

    ov::CompiledModel compiled_bounded = core.compile_model(bounded, device, LATENCY);
    std::cout << "compiled: " << compiled_bounded.input(0).get_partial_shape() << "\n";
    ov::InferRequest request = compiled_bounded.create_infer_request();
    infer(request, feeds[16]);  // within the bounds
    try {
        infer(request, feeds[513]);  // one token too many
    } catch (const ov::Exception& error) {
        std::cout << "513 tokens refused: " << perfguide::last_line(error) << "\n";
    }
    // --8<-- [end:bounds-enforced]
    result["compiled_bounded_shapes"] = shapes_of(compiled_bounded.inputs());
    try {
        infer(request, feeds[BOUND + 1]);
        result["outside_bounds_refused"] = false;
    } catch (const ov::Exception& error) {
        result["outside_bounds_refused"] = true;
        result["outside_bounds_error"] = perfguide::last_line(error);
    }
    // compiled_bounded stays alive: memory it freed would be reused by the variants below and
    // make them look smaller than they are.

    // --8<-- [start:variants]
    std::vector<std::string> names = {"dynamic", "bounded"};
    std::map<std::string, Variant> variants;
    variants["dynamic"] = compile_variant(core, model_path, device);
    variants["bounded"] =
        compile_variant(core, model_path, device, ov::Dimension(1, 512));
    for (int64_t n : lengths) {  // one static model per length
        names.push_back(std::to_string(n));
        variants[names.back()] = compile_variant(core, model_path, device, n);
    }
    for (const std::string& name : names)
        std::printf("compiled %s: %.0f ms, %.0f MiB\n", name.c_str(),
                    variants[name].compile_ms, variants[name].mib);
    // --8<-- [end:variants]

    // --8<-- [start:first-inference]
    // One inference: its time in ms, and a copy of its outputs (the request's own
    // output tensors are overwritten by its next inference).
    auto timed = [&](ov::InferRequest request, const std::vector<ov::Tensor>& feed) {
        auto start = perfguide::Clock::now();
        infer(request, feed);
        std::vector<ov::Tensor> outputs;
        for (size_t i = 0; i < request.get_compiled_model().outputs().size(); ++i) {
            ov::Tensor output = request.get_output_tensor(i);
            outputs.emplace_back(output.get_element_type(), output.get_shape());
            output.copy_to(outputs.back());
        }
        return std::make_pair(perfguide::seconds_since(start) * 1000, outputs);
    };

    std::map<std::string, ov::InferRequest> requests;
    for (const std::string& name : names)
        requests[name] = variants[name].compiled.create_infer_request();
    std::map<std::pair<std::string, int64_t>, double> first_ms, again_ms;
    std::map<std::string, double> run_mib;
    for (const std::string& name : names) {
        double before = private_mib();
        bool dynamic = name == "dynamic" || name == "bounded";
        for (int64_t n : dynamic ? lengths : std::vector<int64_t>{std::stoll(name)}) {
            // a shape it has not seen, then the same shape again
            first_ms[{name, n}] = timed(requests[name], feeds[n]).first;
            again_ms[{name, n}] = timed(requests[name], feeds[n]).first;
        }
        run_mib[name] = private_mib() - before;
    }
    for (const std::string& name : names)
        for (int64_t n : lengths)
            if (first_ms.count({name, n}))
                std::printf("%s at %lld: first %.1f ms, again %.1f ms\n", name.c_str(),
                            (long long)n, first_ms[{name, n}], again_ms[{name, n}]);
    // --8<-- [end:first-inference]

    // --8<-- [start:mix]
    auto bucket = [&](int64_t n) {  // the smallest bucket that holds n tokens
        int64_t smallest = INT64_MAX;
        for (int64_t b : buckets)
            if (b >= n) smallest = std::min(smallest, b);
        return smallest;
    };

    std::map<int64_t, std::vector<ov::Tensor>> padded;
    for (int64_t n : lengths) padded[n] = pad_to(feeds[n], *model, bucket(n));
    // What serves a sequence of n tokens: a request, and the input it gets.
    using Served = std::pair<ov::InferRequest, std::vector<ov::Tensor>>;
    std::vector<std::pair<std::string, std::function<Served(int64_t)>>> ways = {
        {"dynamic", [&](int64_t n) { return Served{requests["dynamic"], feeds[n]}; }},
        {"bounded", [&](int64_t n) { return Served{requests["bounded"], feeds[n]}; }},
        {"static per length",
         [&](int64_t n) { return Served{requests[std::to_string(n)], feeds[n]}; }},
        {"padded to a bucket", [&](int64_t n) {
             return Served{requests[std::to_string(bucket(n))], padded[n]};
         }},
    };
    std::map<std::pair<std::string, int64_t>, std::vector<double>> times;
    std::map<std::pair<std::string, int64_t>, std::vector<ov::Tensor>> outputs;
    std::vector<int64_t> order = lengths;
    std::mt19937 rng(0);
    for (int i = 0; i < rounds; ++i) {
        // The lengths in a new order each round.
        std::shuffle(order.begin(), order.end(), rng);
        for (int64_t n : order)
            // The ways take turns, in reversed order every other round.
            for (size_t k = 0; k < ways.size(); ++k) {
                const auto& [way, serve] = ways[i % 2 == 0 ? k : ways.size() - 1 - k];
                auto [served_by, input] = serve(n);
                auto [ms, out] = timed(served_by, input);
                times[{way, n}].push_back(ms);
                outputs[{way, n}] = out;
            }
    }
    std::printf("ms per inference at");
    for (int64_t n : lengths) std::printf("%8lld", (long long)n);
    std::printf("\n");
    for (const auto& [way, serve] : ways) {
        std::printf("%-19s", way.c_str());
        for (int64_t n : lengths)
            std::printf("%8.1f", perfguide::median(times[{way, n}]));
        std::printf("\n");
    }
    // --8<-- [end:mix]

    const std::vector<std::pair<std::string, std::string>> short_names = {
        {"dynamic", "dynamic"}, {"bounded", "bounded"},
        {"static per length", "static"}, {"padded to a bucket", "bucket"}};
    auto key = [](const std::string& prefix, int64_t n) { return prefix + std::to_string(n); };
    for (const auto& [way, name] : short_names) {
        double mix = 0;
        for (int64_t n : lengths) {
            result[key(name + "_ms_", n)] = perfguide::median(times[{way, n}]);
            mix += perfguide::median(times[{way, n}]);
        }
        result[name + "_mix_ms"] = mix;
    }
    for (const std::string name : {"dynamic", "bounded"}) {
        double first_total = 0, again_total = 0;
        for (int64_t n : lengths) {
            result[key(name + "_first_ms_", n)] = first_ms[{name, n}];
            result[key(name + "_again_ms_", n)] = again_ms[{name, n}];
            first_total += first_ms[{name, n}];
            again_total += again_ms[{name, n}];
        }
        result[name + "_first_total_ms"] = first_total;
        result[name + "_again_total_ms"] = again_total;
    }
    double static_first_total = 0, static_again_total = 0;
    for (int64_t n : lengths) {
        const std::string own = std::to_string(n);
        result[key("static_first_ms_", n)] = first_ms[{own, n}];
        result[key("static_again_ms_", n)] = again_ms[{own, n}];
        static_first_total += first_ms[{own, n}];
        static_again_total += again_ms[{own, n}];
    }
    result["static_first_total_ms"] = static_first_total;
    result["static_again_total_ms"] = static_again_total;
    // What the first inference at each shape cost beyond a repeat, over all lengths: the
    // dynamic model's at each new shape, the static models' at their one shape.
    result["dynamic_new_shape_extra_ms"] =
        double(result["dynamic_first_total_ms"]) - double(result["dynamic_again_total_ms"]);
    result["static_first_extra_ms"] = static_first_total - static_again_total;
    // How far apart two ways' figures were, in percent of the smaller, and the bar the page calls
    // "within the noise" of a few inferences on a shared machine.
    auto gap_pct = [](double a, double b) { return std::fabs(a - b) / std::min(a, b) * 100; };
    const double dynamic_mix = result["dynamic_mix_ms"], static_mix = result["static_mix_ms"];
    const double bounded_mix = result["bounded_mix_ms"];
    result["dynamic_over_static_pct"] = (dynamic_mix / static_mix - 1) * 100;
    result["dynamic_static_gap_pct"] = gap_pct(dynamic_mix, static_mix);
    result["bounded_dynamic_gap_pct"] = gap_pct(bounded_mix, dynamic_mix);
    result["noise_pct"] = 10.0;
    result["times_ms"] = json::object();
    for (const auto& [way, name] : short_names)
        for (int64_t n : lengths) result["times_ms"][key(name + "_", n)] = times[{way, n}];
    // Compile time and memory: the dynamic model once; one static model per length; the buckets.
    for (const std::string name : {"dynamic", "bounded"}) {
        result[name + "_compile_ms"] = variants[name].compile_ms;
        result[name + "_compile_mib"] = variants[name].mib;
        result[name + "_mib"] = variants[name].mib + run_mib[name];
    }
    double static_compile_total = 0, static_total_mib = 0;
    for (int64_t n : lengths) {
        const std::string own = std::to_string(n);
        result[key("static_compile_ms_", n)] = variants[own].compile_ms;
        result[key("static_mib_", n)] = variants[own].mib + run_mib[own];
        static_compile_total += variants[own].compile_ms;
        static_total_mib += variants[own].mib + run_mib[own];
    }
    result["static_compile_total_ms"] = static_compile_total;
    result["static_total_mib"] = static_total_mib;
    double bucket_compile_total = 0, bucket_total_mib = 0;
    for (int64_t b : buckets) {
        const std::string own = std::to_string(b);
        bucket_compile_total += variants[own].compile_ms;
        bucket_total_mib += variants[own].mib + run_mib[own];
    }
    result["bucket_compile_total_ms"] = bucket_compile_total;
    result["bucket_total_mib"] = bucket_total_mib;
    result["static_models"] = lengths.size();
    result["bucket_models"] = buckets.size();
    result["bounded_dynamic_mib_gap_pct"] =
        gap_pct(double(result["bounded_mib"]), double(result["dynamic_mib"]));

    // Every way gives the same answer for the same tokens (padding cut off again).
    double output_scale = 0;
    for (int64_t n : lengths)
        for (const ov::Tensor& out : outputs[{"dynamic", n}])
            for (size_t i = 0; i < out.get_size(); ++i)
                output_scale = std::max(output_scale, std::fabs(value_at(out, i)));
    result["output_scale"] = output_scale;
    double ways_max_abs = 0;
    for (const auto& [way, name] : short_names) {
        if (name == "dynamic") continue;
        double worst = 0;
        for (int64_t n : lengths)
            worst = std::max(worst, max_difference(outputs[{"dynamic", n}], outputs[{way, n}]));
        result[name + "_vs_dynamic_max_abs"] = worst;
        ways_max_abs = std::max(ways_max_abs, worst);
    }
    result["ways_max_abs"] = ways_max_abs;
    result["no_difference"] = 0.0;  // the bar of "identical, bit for bit" on the page
    // Padding is only harmless for a model told which positions are padding (BERT's mask).
    bool masked = false;
    for (const auto& port : read_inputs) {
        std::string lowered = input_name(port);
        std::transform(lowered.begin(), lowered.end(), lowered.begin(), ::tolower);
        masked = masked || lowered.find("mask") != std::string::npos;
    }
    result["padding_is_masked"] = masked;
    if (!masked)
        std::printf("no input is named like a mask: the padded inputs feed the model zeros it does "
                    "not know to ignore\n");

    // --8<-- [start:benchmark-app]
    // benchmark_app on the dynamic model: -shape sets the model's dimensions (here the
    // bounded ones), -data_shape the shapes of the inputs it feeds, in turn.
    std::string shape_arg, data_shape_arg;
    for (const ov::Output<ov::Node>& port : bounded->inputs())
        shape_arg += (shape_arg.empty() ? "" : ",") + port.get_any_name() +
                     text(port.get_partial_shape());
    for (const ov::Output<ov::Node>& port : model->inputs()) {
        data_shape_arg += (data_shape_arg.empty() ? "" : ",") + port.get_any_name();
        for (int64_t n : lengths) data_shape_arg += text(shape_at(port, n));
    }
    std::vector<std::string> command = {
        "benchmark_app", "-m", model_path, "-d", device,
        "-hint", "latency", "-api", "async", "-nireq", "1",
        "-shape", shape_arg, "-data_shape", data_shape_arg,
        "-pcseq", "-niter", std::to_string(3 * lengths.size())};
    for (size_t i = 0; i < command.size(); ++i)
        std::cout << (i ? " " : "") << command[i];
    std::cout << "\n";
    // --8<-- [end:benchmark-app]
    result["benchmark_app_shape"] = shape_arg;
    result["benchmark_app_data_shape"] = data_shape_arg;
    result["benchmark_app_command"] = command;
    result.update(run_benchmark_app(command));
    // The harness's own shapes (harness_shapes, harness_matches_static) are the Python module's
    // check of scripts/benchmark.py, a Python program: not repeated here.
    return result;
}

json run(const perfguide::Args& args) {
    const std::string model_path = args.model;
    json result = {{"device", args.device}, {"lengths", LENGTHS}, {"buckets", BUCKETS},
                   {"rounds", ROUNDS}};
    for (const std::string& line : plan(*ov::Core().read_model(model_path)))
        std::printf("%s\n", line.c_str());
    try {
        return examples(args.device, model_path, LENGTHS, BUCKETS, ROUNDS, result);
    } catch (const ov::Exception& error) {  // OpenVINO's errors: many lines, with C++ locations
        throw perfguide::UsageError("cannot run " + model_path + " on " + args.device +
                                    " this way: " + perfguide::last_line(error));
    }
}

}  // namespace

int main(int argc, char** argv) {
    return perfguide::main(argc, argv, run, "The Dynamic shapes page's examples, in C++.");
}
