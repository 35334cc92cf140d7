// LLM inference: the C++ twin of llm.py, on the same OpenVINO LLM folders, with the
// OpenVINO runtime alone. GenAI's own C++ API (ov::genai::LLMPipeline, the same calls
// as Python's) ships in the GenAI archive, not in the openvino-genai wheel; so this
// program does what GenAI does inside. One stateful ov::InferRequest holds a
// conversation's KV cache (its ov::VariableState); the prompt goes in at once
// (prefill), then one token per step (decode), greedily.
//
// Run it yourself:
//     python scripts/cpp.py run guide/llm --device CPU --model qwen2.5-0.5b
// The program takes the f16 OpenVINO LLM folder, with its int8 and int4 siblings beside
// it, and the openvino_tokenizers extension named by $OPENVINO_TOKENIZERS_LIB:
// scripts/cpp.py gives it both.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <random>
#include <set>

#include "snippet.hpp"

using perfguide::json;
namespace fs = std::filesystem;

namespace {

const int PROMPTS[] = {32, 128, 512};  // prompt lengths, tokens
constexpr size_t OUTPUT = 32;          // tokens generated per request
constexpr int LONG_PROMPT = 1024;      // the KV-cache example's context
const int USERS[] = {1, 2, 4};
constexpr int SYSTEM_PROMPT = 512;  // tokens every prefix-caching request starts with
const char* const FORMATS[] = {"f16", "int8", "int4"};
// The LLM pipelines run on these; AUTO, HETERO, MULTI and BATCH are not LLM devices.
const char* const DEVICES[] = {"CPU", "GPU", "NPU"};

using Tokens = std::vector<int64_t>;

// The dimensions the examples need, from the folder's config.json (Hugging Face's).
struct Shape {
    int64_t layers, hidden, heads, kv_heads, vocab, context;
    int64_t head_dim() const { return hidden / heads; }
};

Shape read_shape(const fs::path& folder) {
    const fs::path path = folder / "config.json";
    std::ifstream file(path);
    if (!file)
        throw perfguide::UsageError("not an OpenVINO LLM folder: " + folder.string() +
                                    " lacks config.json (the model's shape)");
    try {
        json c = json::parse(file);
        auto field = [&](const char* key) { return c.at(key).get<int64_t>(); };
        const int64_t heads = field("num_attention_heads");
        const int64_t kv_heads = c.value("num_key_value_heads", heads);
        const int64_t context = c.value("max_position_embeddings", int64_t{0});
        return {field("num_hidden_layers"), field("hidden_size"), heads, kv_heads,
                field("vocab_size"), context ? context : int64_t{1} << 30};
    } catch (const json::exception& error) {
        throw perfguide::UsageError("unreadable LLM config: " + path.string() + " (" +
                                    error.what() + ")");
    }
}

// The f16 folder the program was given and the int8 and int4 ones beside it, each
// checked for the files GenAI needs (the model, its tokenizer and its detokenizer).
std::map<std::string, fs::path> llm_folders(const std::string& model_folder) {
    const fs::path f16 = fs::absolute(model_folder);
    std::map<std::string, fs::path> folders;
    for (const std::string fmt : FORMATS) {
        const fs::path folder = fmt == "f16" ? f16 : f16.parent_path() / fmt;
        std::string missing;
        for (const char* name : {"openvino_model.xml", "openvino_model.bin",
                                 "openvino_tokenizer.xml", "openvino_detokenizer.xml"})
            if (!fs::is_regular_file(folder / name))
                missing += (missing.empty() ? "" : ", ") + std::string(name);
        if (!missing.empty() && fmt == "f16")
            throw perfguide::UsageError("not an OpenVINO LLM folder: " +
                                        folder.string() + " lacks " + missing);
        if (!missing.empty())
            throw perfguide::UsageError("no " + fmt + " model beside " + f16.string() +
                                        " (" + folder.string() + " lacks " + missing +
                                        "): run it through python scripts/cpp.py run "
                                        "guide/llm");
        folders[fmt] = folder;
    }
    return folders;
}

// A prompt of exactly `tokens` random ordinary token ids, in [256, vocab - 3): the raw
// outputs of std::mt19937(seed) modulo the range (numpy's RandomState(seed) draws the
// same raw outputs, so a test can make the same prompt).
Tokens random_prompt(int64_t vocab, int tokens, uint32_t seed) {
    std::mt19937 engine(seed);
    Tokens ids(tokens);
    for (int64_t& id : ids) id = 256 + static_cast<int64_t>(engine() % (vocab - 259));
    return ids;
}

// The characters of UTF-8 text (what Python's len() counts): bytes that start one.
size_t characters(const std::string& text) {
    return std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    });
}

Tokens concat(Tokens a, const Tokens& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

double mean(const std::vector<double>& values) {
    return std::accumulate(values.begin(), values.end(), 0.0) / values.size();
}

json run(const perfguide::Args& args) {
    const std::string device = args.device;
    const std::string family = device.substr(0, device.find('.'));
    if (std::find(std::begin(DEVICES), std::end(DEVICES), family) == std::end(DEVICES))
        throw perfguide::UsageError("LLM pipelines run on CPU, GPU or NPU, not " +
                                    device);
    const std::map<std::string, fs::path> folders = llm_folders(args.model);
    const char* tokenizers_library = std::getenv("OPENVINO_TOKENIZERS_LIB");
    if (!tokenizers_library || !*tokenizers_library)
        throw perfguide::UsageError(
            "the tokenizer models need the openvino_tokenizers extension: run it "
            "through python scripts/cpp.py run guide/llm (which sets "
            "OPENVINO_TOKENIZERS_LIB)");
    auto xml = [&](const std::string& fmt) {
        return (folders.at(fmt) / "openvino_model.xml").string();
    };
    const Shape shape = read_shape(folders.at("f16"));
    const int64_t vocab = shape.vocab;
    json result = {{"device", device},
                   {"prompts", PROMPTS},
                   {"output_tokens", OUTPUT},
                   {"weight_mib", json::object()},
                   {"layers", shape.layers},
                   {"kv_heads", shape.kv_heads},
                   {"head_dim", shape.head_dim()}};
    perfguide::TempDir tmp;
    const fs::path cache_dir = tmp.path / "model-cache";

    // --8<-- [start:load]
    // The first load reads the model and compiles it for the device; with ov::cache_dir
    // it also stores the compiled model, and every later load reads that instead.
    ov::Core core;
    const ov::AnyMap cached = {ov::cache_dir(cache_dir.string())};
    auto start = perfguide::Clock::now();
    ov::CompiledModel llm = core.compile_model(xml("f16"), device, cached);
    double cold_s = perfguide::seconds_since(start);
    start = perfguide::Clock::now();
    llm = core.compile_model(xml("f16"), device, cached);
    double cached_s = perfguide::seconds_since(start);
    std::printf("load: %.2f s cold, %.2f s from the model cache\n", cold_s, cached_s);
    // --8<-- [end:load]
    result["load_cold_ms"] = cold_s * 1000;
    result["load_cached_ms"] = cached_s * 1000;
    const auto& ports = llm.inputs();
    for (const char* name : {"input_ids", "attention_mask", "position_ids", "beam_idx"})
        if (std::none_of(ports.begin(), ports.end(), [&](const auto& port) {
                return port.get_names().count(name);
            }))
            throw perfguide::UsageError("not a stateful decoder LLM: " + xml("f16") +
                                        " has no input " + name);

    // --8<-- [start:generate]
    // What GenAI's generate() does inside. One inference's inputs: `ids`, after the
    // `past` tokens whose keys and values the request's state (the KV cache) holds.
    auto feed = [](ov::InferRequest& request, const Tokens& ids, size_t past) {
        const size_t n = ids.size();
        ov::Tensor input_ids(ov::element::i64, {1, n});
        std::copy(ids.begin(), ids.end(), input_ids.data<int64_t>());
        ov::Tensor mask(ov::element::i64, {1, past + n});  // attend to every token
        std::fill_n(mask.data<int64_t>(), past + n, 1);
        ov::Tensor positions(ov::element::i64, {1, n});
        int64_t* position = positions.data<int64_t>();
        std::iota(position, position + n, static_cast<int64_t>(past));
        ov::Tensor beam_idx(ov::element::i32, {1});
        beam_idx.data<int32_t>()[0] = 0;  // one sequence (no beam search): keep it
        request.set_tensor("input_ids", input_ids);
        request.set_tensor("attention_mask", mask);
        request.set_tensor("position_ids", positions);
        request.set_tensor("beam_idx", beam_idx);
    };
    // Greedy: the most likely token, from the last row of the logits [1, n, vocab].
    auto next_token = [](ov::InferRequest& request) -> int64_t {
        ov::Tensor logits = request.get_tensor("logits");
        const size_t size = logits.get_shape().back();
        const float* last = logits.data<const float>() + logits.get_size() - size;
        return std::max_element(last, last + size) - last;
    };

    struct Generation {
        double ttft_ms, tpot_ms;  // time to the first token; mean time of each next one
        Tokens tokens;            // exactly OUTPUT of them, end of text or not
    };
    // OUTPUT tokens after `prompt`. past = 0: a new conversation, its KV cache emptied
    // first (reset_state); past > 0: the request's state holds that many tokens.
    auto generate = [&](ov::InferRequest& request, const Tokens& prompt,
                        size_t past = 0) {
        Generation out{};
        if (past == 0) request.reset_state();
        auto start = perfguide::Clock::now();
        feed(request, prompt, past);  // prefill: the whole prompt in one inference
        request.infer();
        out.tokens.push_back(next_token(request));
        out.ttft_ms = perfguide::seconds_since(start) * 1000;
        start = perfguide::Clock::now();
        past += prompt.size();
        while (out.tokens.size() < OUTPUT) {  // decode: one token per inference
            feed(request, {out.tokens.back()}, past++);
            request.infer();
            out.tokens.push_back(next_token(request));
        }
        out.tpot_ms = perfguide::seconds_since(start) * 1000 / (OUTPUT - 1);
        return out;
    };

    // The tokenizer and detokenizer are OpenVINO models too, made of the operations of
    // the openvino_tokenizers extension; they run on the CPU.
    core.add_extension(tokenizers_library);
    const fs::path& folder = folders.at("f16");
    ov::InferRequest tokenizer =
        core.compile_model((folder / "openvino_tokenizer.xml").string(), "CPU")
            .create_infer_request();
    ov::InferRequest detokenizer =
        core.compile_model((folder / "openvino_detokenizer.xml").string(), "CPU")
            .create_infer_request();
    auto tokenize = [&](const std::string& text) {
        ov::Tensor input(ov::element::string, {1});
        input.data<std::string>()[0] = text;
        tokenizer.set_input_tensor(input);
        tokenizer.infer();
        ov::Tensor ids = tokenizer.get_tensor("input_ids");
        return Tokens(ids.data<int64_t>(), ids.data<int64_t>() + ids.get_size());
    };
    auto detokenize = [&](Tokens ids) {
        ov::Tensor input(ov::element::i64, {1, ids.size()}, ids.data());
        detokenizer.set_input_tensor(input);
        detokenizer.infer();
        return detokenizer.get_output_tensor().data<std::string>()[0];
    };

    ov::InferRequest request = llm.create_infer_request();
    generate(request, tokenize("warm up"));
    Generation done = generate(request, tokenize("The fastest way to run a model is"));
    std::string text = detokenize(done.tokens);
    std::printf("TTFT %.1f ms, TPOT %.2f ms (%.1f tokens/s)\n", done.ttft_ms,
                done.tpot_ms, 1000 / done.tpot_ms);
    // --8<-- [end:generate]
    result["text_chars"] = characters(text);

    // --8<-- [start:prompt-length]
    for (int n : PROMPTS) {  // a fresh random prompt each: nothing served from a cache
        Generation g = generate(request, random_prompt(vocab, n, n));
        std::printf("prompt %4d tokens: TTFT %7.1f ms, TPOT %6.2f ms\n", n, g.ttft_ms,
                    g.tpot_ms);
        result["ttft_ms_" + std::to_string(n)] = g.ttft_ms;
        result["tpot_ms_" + std::to_string(n)] = g.tpot_ms;
    }
    // --8<-- [end:prompt-length]
    auto ratio = [&](const std::string& a, const std::string& b) {
        return result[a].get<double>() / result[b].get<double>();
    };
    const std::string first = std::to_string(PROMPTS[0]);
    const std::string last = std::to_string(PROMPTS[2]);
    result["ttft_growth"] = ratio("ttft_ms_" + last, "ttft_ms_" + first);
    result["tpot_growth"] = ratio("tpot_ms_" + last, "tpot_ms_" + first);
    result["prompt_growth"] = double(PROMPTS[2]) / PROMPTS[0];

    // --8<-- [start:formats]
    const Tokens prompt = random_prompt(vocab, 128, 1);
    std::map<std::string, Tokens> outputs;
    for (const std::string fmt : {"f16", "int8", "int4"}) {
        ov::InferRequest each =
            core.compile_model(xml(fmt), device).create_infer_request();
        generate(each, random_prompt(vocab, 16, 2));  // warm up
        Generation g = generate(each, prompt);
        outputs[fmt] = g.tokens;
        fs::path weights = folders.at(fmt) / "openvino_model.bin";
        double mib = fs::file_size(weights) / double(1 << 20);
        std::printf("%s: %6.0f MiB of weights, TPOT %6.2f ms\n", fmt.c_str(), mib,
                    g.tpot_ms);
        result["tpot_ms_" + fmt] = g.tpot_ms;
        result["weight_mib"][fmt] = mib;
    }
    // --8<-- [end:formats]
    for (const std::string fmt : FORMATS)
        result["weight_mib_" + fmt] = result["weight_mib"][fmt];
    result["int8_speedup"] = ratio("tpot_ms_f16", "tpot_ms_int8");
    result["int4_speedup"] = ratio("tpot_ms_f16", "tpot_ms_int4");
    result["int4_byte_ratio"] = ratio("weight_mib_f16", "weight_mib_int4");

    // --8<-- [start:agreement]
    // Tokens before the first difference, and the share of equal positions.
    auto matching = [](const Tokens& reference, const Tokens& other) {
        auto miss = std::mismatch(reference.begin(), reference.end(), other.begin());
        size_t same = 0;
        for (size_t i = 0; i < reference.size(); ++i) same += reference[i] == other[i];
        return std::make_pair(miss.first - reference.begin(),
                              double(same) / reference.size());
    };
    // The logits of the token after `ids`, from the OpenVINO model itself, and the
    // precisions the device keeps the matrix weights in (its runtime model).
    auto last_logits = [&](const std::string& fmt, const Tokens& ids) {
        ov::CompiledModel compiled = core.compile_model(xml(fmt), "CPU");
        std::set<std::string> kept;
        for (const auto& op : compiled.get_runtime_model()->get_ordered_ops()) {
            const ov::RTMap& info = op->get_rt_info();
            auto type = info.find("layerType");
            if (type != info.end() &&
                type->second.as<std::string>() == "FullyConnected")
                kept.insert(op->input(1).get_element_type().get_type_name());
        }
        ov::InferRequest one = compiled.create_infer_request();
        feed(one, ids, 0);
        one.infer();
        ov::Tensor logits = one.get_tensor("logits");
        const size_t size = logits.get_shape().back();
        const float* row = logits.data<const float>() + logits.get_size() - size;
        ov::Tensor copy(ov::element::f32, {size});
        std::copy(row, row + size, copy.data<float>());
        return std::make_pair(copy, std::vector<std::string>(kept.begin(), kept.end()));
    };
    auto join = [](const std::vector<std::string>& names) {
        std::string out;
        for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
        return out;
    };
    auto top = [](const ov::Tensor& row) {
        const float* x = row.data<const float>();
        return std::max_element(x, x + row.get_size()) - x;
    };

    auto [reference, kept] = last_logits("f16", prompt);
    std::printf("f16: the CPU multiplies with %s weights\n", join(kept).c_str());
    result["runtime_weights"] = {{"f16", kept}};
    for (const std::string fmt : {"int8", "int4"}) {
        auto [prefix, share] = matching(outputs["f16"], outputs[fmt]);
        auto [logits, its_kept] = last_logits(fmt, prompt);
        std::printf("%s: the CPU multiplies with %s weights\n", fmt.c_str(),
                    join(its_kept).c_str());
        result["runtime_weights"][fmt] = its_kept;
        double error = perfguide::max_abs_diff(logits, reference) /
                       perfguide::max_abs(reference);
        int top1 = top(logits) == top(reference);
        std::printf("%s vs f16: first %td tokens equal, %.0f%% of positions; largest "
                    "logit error %.1f%% of the largest logit, same top token: %d\n",
                    fmt.c_str(), prefix, share * 100, error * 100, top1);
        result[fmt + "_prefix"] = prefix;
        result[fmt + "_share"] = share;
        result[fmt + "_logit_error"] = error;
        result[fmt + "_same_top"] = top1;
    }
    // --8<-- [end:agreement]
    result["f16_runs_as_f32"] =
        int(result["runtime_weights"]["f16"] == json(std::vector<std::string>{"f32"}));

    // --8<-- [start:kv-cache]
    ov::element::Type by_default =
        core.get_property(device, ov::hint::kv_cache_precision);
    std::printf("%s keeps the KV cache in %s by default\n", device.c_str(),
                by_default.get_type_name().c_str());
    const Tokens long_prompt = random_prompt(vocab, LONG_PROMPT, 3);
    for (ov::element::Type precision : {ov::element::f16, ov::element::u8}) {
        ov::InferRequest each =
            core.compile_model(xml("int8"), device,
                               ov::hint::kv_cache_precision(precision))
                .create_infer_request();
        generate(each, random_prompt(vocab, 16, 4));  // warm up
        Generation g = generate(each, long_prompt);
        // Keys and values, every layer: 2 x layers x KV heads x head size per token.
        int64_t per_token = 2 * shape.layers * shape.kv_heads * shape.head_dim();
        per_token *= precision.size();
        double mib = double(per_token) * (LONG_PROMPT + OUTPUT) / (1 << 20);
        const std::string name = precision.get_type_name();
        std::printf("KV cache %s: %lld bytes a token, %.1f MiB at %zu tokens; "
                    "TPOT %.2f ms\n", name.c_str(), static_cast<long long>(per_token),
                    mib, LONG_PROMPT + OUTPUT, g.tpot_ms);
        result["kv_bytes_" + name] = per_token;
        result["kv_mib_" + name] = mib;
        result["kv_tpot_ms_" + name] = g.tpot_ms;
    }
    // --8<-- [end:kv-cache]
    result["kv_context"] = LONG_PROMPT + OUTPUT;
    result["kv_default"] = by_default.get_type_name();
    result["context_limit"] = shape.context;
    for (const std::string precision : {"f16", "u8"})  // one conversation, context-long
        result["kv_mib_limit_" + precision] =
            result["kv_bytes_" + precision].get<double>() * shape.context / (1 << 20);

    // --8<-- [start:users]
    // With the runtime alone, each user gets a request of one compiled model (a
    // request's state is its own KV cache) and the requests step together: every
    // user's next inference starts at once (start_async), on the streams of THROUGHPUT
    // mode (up to one a user), and all are waited for. GenAI's continuous batching
    // does more: its scheduler puts every user's token into ONE inference per step (the
    // weights read once for all of them), keeps the KV cache in blocks handed out as
    // conversations grow, and lets requests join and leave the batch between steps.
    const int most = *std::max_element(std::begin(USERS), std::end(USERS));
    ov::CompiledModel served = core.compile_model(
        xml("int8"), device,
        ov::hint::performance_mode(ov::hint::PerformanceMode::THROUGHPUT),
        ov::hint::num_requests(most));
    std::vector<ov::InferRequest> requests;
    for (int u = 0; u < most; ++u) {
        requests.push_back(served.create_infer_request());
        generate(requests.back(), random_prompt(vocab, 16, 4));  // warm each one up
    }
    for (int users : USERS) {
        std::vector<Tokens> prompts, tokens(users);
        for (int u = 0; u < users; ++u)
            prompts.push_back(random_prompt(vocab, 128, 100 + users * 10 + u));
        auto start = perfguide::Clock::now();
        for (int u = 0; u < users; ++u) requests[u].reset_state();
        for (size_t step = 0; step < OUTPUT; ++step) {
            for (int u = 0; u < users; ++u) {  // the prompt first, then the last token
                size_t past = step ? prompts[u].size() + step - 1 : 0;
                feed(requests[u], step ? Tokens{tokens[u].back()} : prompts[u], past);
                requests[u].start_async();
            }
            for (int u = 0; u < users; ++u) {
                requests[u].wait();
                tokens[u].push_back(next_token(requests[u]));
            }
        }
        double seconds = perfguide::seconds_since(start);
        double per_s = double(users) * OUTPUT / seconds;
        std::printf("%d users: %6.1f tokens/s in all, %6.1f per user\n", users, per_s,
                    per_s / users);
        result["users_" + std::to_string(users) + "_tokens_per_s"] = per_s;
        result["users_" + std::to_string(users) + "_per_user"] = per_s / users;
    }
    // --8<-- [end:users]
    const std::string most_users = "users_" + std::to_string(most) + "_tokens_per_s";
    result["users_gain"] = ratio(most_users, "users_1_tokens_per_s");

    // --8<-- [start:prefix-caching]
    // A prefix cache with the runtime alone: prefill the shared system prompt once,
    // keep a copy of every state's tensor (the KV cache of those tokens), and put them
    // back before each user's own question, which is then all the prefill computes.
    const Tokens system = random_prompt(vocab, SYSTEM_PROMPT, 5);
    ov::InferRequest chat =
        core.compile_model(xml("int8"), device).create_infer_request();
    generate(chat, random_prompt(vocab, 16, 4));  // warm up
    for (bool caching : {false, true}) {
        std::vector<ov::Tensor> saved;  // the system prompt's KV cache, state by state
        std::vector<double> ttfts;
        for (int user = 0; user < 3; ++user) {  // one system prompt, then a question
            const Tokens question = random_prompt(vocab, 16, 200 + user);
            if (!caching) {
                ttfts.push_back(generate(chat, concat(system, question)).ttft_ms);
                continue;
            }
            auto start = perfguide::Clock::now();
            chat.reset_state();
            std::vector<ov::VariableState> states = chat.query_state();
            if (saved.empty()) {  // the first user: compute the system prompt, keep it
                feed(chat, system, 0);
                chat.infer();
                for (ov::VariableState& state : states) {
                    ov::Tensor tensor = state.get_state();
                    saved.emplace_back(tensor.get_element_type(), tensor.get_shape());
                    tensor.copy_to(saved.back());
                }
            } else {  // everyone after: the system prompt's KV cache, put back
                for (size_t i = 0; i < states.size(); ++i)
                    states[i].set_state(saved[i]);
            }
            double ready_ms = perfguide::seconds_since(start) * 1000;
            Generation g = generate(chat, question, system.size());
            ttfts.push_back(ready_ms + g.ttft_ms);
        }
        std::vector<double> next(ttfts.begin() + 1, ttfts.end());
        std::printf("prefix caching %s: TTFT of the first user %.1f ms, of the next "
                    "ones %.1f ms\n", caching ? "on " : "off", ttfts[0], mean(next));
        const std::string key = caching ? "on" : "off";
        result["prefix_" + key + "_first_ms"] = ttfts[0];
        result["prefix_" + key + "_next_ms"] = mean(next);
    }
    // --8<-- [end:prefix-caching]
    result["prefix_speedup"] = ratio("prefix_off_next_ms", "prefix_on_next_ms");
    result["system_prompt"] = SYSTEM_PROMPT;
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    return perfguide::main(argc, argv, run,
                           "The LLM inference page's examples, in C++: the OpenVINO "
                           "runtime alone, on an OpenVINO LLM folder.");
}
