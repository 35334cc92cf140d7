// What every C++ snippet program shares, the twin of perfguide/snippet.py: its command line
// (--device, --model, --json), one-line errors with exit code 2 for bad input, the JSON of what
// it observed, and the small helpers the pages' examples use (inputs, timing, statistics).
//
// A program defines `nlohmann::json run(const perfguide::Args&)` and ends with
//     int main(int argc, char** argv) { return perfguide::main(argc, argv, run, "what it shows"); }
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <openvino/openvino.hpp>

namespace perfguide {

using json = nlohmann::json;

// Bad input from the user: one line on stderr ("error: ...") and exit code 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Args {
    std::string device = "CPU";
    std::string model;  // a model file's path, or an OpenVINO LLM folder's (scripts/cpp.py
                        // turns a zoo name into one)
    bool json = false;  // print what was observed as JSON, on the last line of the output
};

// Parse the command line, run `body`, print its JSON with --json; exit 2 on bad input.
int main(int argc, char** argv, const std::function<json(const Args&)>& body, const char* doc);

// The last line of an exception's message (OpenVINO's carry the C++ source location first).
std::string last_line(const std::exception& error);

// A tensor of `shape` filled with uniform [0, 1) floats (f32) or bytes (u8), seeded.
ov::Tensor random_tensor(const ov::Shape& shape, ov::element::Type type = ov::element::f32,
                         std::uint32_t seed = 0);

// Seconds since `start`, and milliseconds: the timing the pages' loops use.
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start);

double median(std::vector<double> values);
double percentile(std::vector<double> values, double q);  // q in [0, 100], linear (numpy's)

// The largest absolute difference between two f32 tensors of one size, and the largest |value|.
double max_abs_diff(const ov::Tensor& a, const ov::Tensor& b);
double max_abs(const ov::Tensor& a);

// Resident memory of this process, in bytes (/proc/self/statm).
std::int64_t resident_bytes();

// A fresh folder under the system's temporary one, removed with everything in it when it goes
// out of scope (Python's tempfile.TemporaryDirectory).
struct TempDir {
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string str() const { return path.string(); }
    std::filesystem::path path;
};

// Words joined by `separator` (Python's ", ".join): "GPU.0, CPU".
template <typename Words>
std::string join(const Words& words, const std::string& separator = ", ") {
    std::string joined;
    bool first = true;
    for (const auto& word : words) {
        joined += (first ? "" : separator) + std::string(word);
        first = false;
    }
    return joined;
}
inline std::string join(const std::vector<std::string>& words, const std::string& separator = ", ") {
    return join<std::vector<std::string>>(words, separator);
}

// What a value prints as: an enum's name ("THROUGHPUT"), a shape ("[1,3,224,224]"), ...
template <typename T>
std::string text(const T& value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

// A child process running this same program with `args` (Python's subprocess.Popen of its
// own file), `env` ("NAME=value") added to its environment, its standard input and output
// connected to this process by pipes. The destructor waits for it.
class Child {
public:
    explicit Child(const std::vector<std::string>& args, const std::vector<std::string>& env = {});
    Child(Child&& other) noexcept;
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child();
    std::string read_line();  // one line of its output, without the newline ("" at its end)
    std::string read_all();   // the rest of its output
    void write_line(const std::string& line);
    int wait();  // close the pipes, wait for it to end: its exit code (-1: killed)

private:
    int pid_ = -1;
    FILE* stdin_ = nullptr;
    FILE* stdout_ = nullptr;
};

// A shape as a JSON list, e.g. [1, 3, 224, 224].
json shape_json(const ov::Shape& shape);

}  // namespace perfguide
