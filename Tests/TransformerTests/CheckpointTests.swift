import Foundation
import Testing
import TestSupport
@testable import Transformer

/// safetensors reading/writing and HF directory load/save.
struct CheckpointTests {
    func tempDir() throws -> URL { try makeTemporaryDirectory("engine-test") }

    @Test func safetensorsRoundTrip() throws {
        let tensors: [(name: String, tensor: SafeTensors.Tensor)] = [
            ("a", .init(shape: [2, 3], values: [1, -2, 3.5, 0, .leastNonzeroMagnitude, 1e30])),
            ("b.c", .init(shape: [1], values: [7])), ("empty", .init(shape: [0, 4], values: [])),
        ]
        let data = try SafeTensors.encode(tensors)
        let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(headerLength % 8 == 0)
        let (back, meta) = try SafeTensors.decode(data, file: "x")
        #expect(meta == ["format": "pt"])
        #expect(back.count == 3)
        for (n, t) in tensors { #expect(back[n] == t) }
    }

    /// Reads what the Python `safetensors` package wrote (the fixture gradients) and what
    /// transformers wrote (the model), with every tensor where the header says.
    @Test func readsFilesWrittenByPython() throws {
        let (t, meta) = try SafeTensors.read(Fixture.url("engine/gpt2_odd/model.safetensors"))
        #expect(meta["format"] == "pt")
        #expect(t["transformer.wte.weight"]?.shape == [53, 30])
        #expect(t["transformer.h.1.attn.c_attn.weight"]?.shape == [30, 90])
    }

    @Test func rejectsMalformedFiles() throws {
        let good = try SafeTensors.encode([("w", .init(shape: [2], values: [1, 2]))])
        func fails(_ d: Data, _ fragment: String) {
            do { _ = try SafeTensors.decode(d, file: "f.safetensors"); Issue.record("accepted a bad file (\(fragment))") }
            catch let e as ModelError { #expect(e.description.contains(fragment), "\(e)") }
            catch { Issue.record("\(error)") }
        }
        fails(Data([1, 2, 3]), "shorter than the 8-byte header")
        fails(good.dropLast(1), "truncated")
        fails(good.prefix(12), "truncated")
        fails(good + Data([0, 0, 0, 0]), "cover")
        var bogusLength = good; bogusLength[7] = 0x7f
        fails(bogusLength, "runs past the end")
        func withHeader(_ h: String, data: Int) -> Data {
            var b = Array(h.utf8); while b.count % 8 != 0 { b.append(0x20) }
            var d = Data(); var n = UInt64(b.count).littleEndian
            withUnsafeBytes(of: &n) { d.append(contentsOf: $0) }
            return d + Data(b) + Data(count: data)
        }
        fails(withHeader("[1,2]", data: 0), "not a JSON object")
        fails(withHeader("{\"w\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", data: 8), "unsupported dtype I64")
        fails(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", data: 8), "do not hold")
        fails(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", data: 12), "gap or overlap")
        fails(withHeader("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", data: 8), "no valid shape")
        // half precision and bfloat16 are converted
        let (t, _) = try SafeTensors.decode(withHeader("{\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]},\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[2,4]}}", data: 0)
                                            + Data([0x00, 0x3c, 0x40, 0xc0]), file: "x")
        #expect(t["h"]?.values == [1] && t["b"]?.values == [-3])
    }

    /// save(load(dir)) writes exactly the keys transformers saved, the same values, F32, and
    /// the bytes committed in Fixtures/engine/swift_saved (which engine_models.py loads with
    /// `from_pretrained` and compares with the original). Set AUTOSCALE_WRITE_SWIFT_SAVED=1 to regenerate them.
    @Test(arguments: ["gpt2_odd", "bert_odd"])
    func savedCheckpointMatchesCommittedBytes(_ c: String) throws {
        let model = try Checkpoint.load(Fixture.url("engine/\(c)"))
        let out = try tempDir()
        defer { try? FileManager.default.removeItem(at: out) }
        try Checkpoint.save(model, to: out)
        let original = try SafeTensors.read(Fixture.url("engine/\(c)/model.safetensors")).tensors
        let saved = try SafeTensors.read(out.appendingPathComponent("model.safetensors")).tensors
        #expect(saved == original)
        let reloaded = try Checkpoint.load(out)
        #expect(Array(reloaded.parameters) == Array(model.parameters))
        let committed = Fixture.url("engine/swift_saved/\(c)")
        if ProcessInfo.processInfo.environment["AUTOSCALE_WRITE_SWIFT_SAVED"] == "1" {
            try? FileManager.default.removeItem(at: committed)
            try Checkpoint.save(model, to: committed)
        }
        for f in ["model.safetensors", "config.json"] {
            #expect(try Data(contentsOf: out.appendingPathComponent(f)) == Data(contentsOf: committed.appendingPathComponent(f)), "\(f)")
        }
    }

    @Test func configErrorsAreOneLine() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        func fails(_ json: String, _ fragment: String) {
            try! Data(json.utf8).write(to: dir.appendingPathComponent("config.json"))
            do { _ = try Checkpoint.load(dir); Issue.record("accepted \(json)") }
            catch { #expect("\(error)".contains(fragment), "\(error)"); #expect(!"\(error)".contains("\n")) }
        }
        fails("{\"model_type\": \"gpt2\", \"vocab_size\": 10, \"n_positions\": 4, \"n_embd\": 6, \"n_layer\": 1}", "missing field \"n_head\"")
        fails("{\"model_type\": \"gpt2\", \"vocab_size\": 10, \"n_positions\": 4, \"n_embd\": 6, \"n_layer\": 1, \"n_head\": 4}", "multiple of n_head")
        fails("{\"model_type\": \"gpt2\", \"vocab_size\": 10, \"n_positions\": 4, \"n_embd\": 6, \"n_layer\": 1, \"n_head\": 2, \"activation_function\": \"relu\"}", "relu")
        fails("{\"model_type\": \"llama\"}", "not supported")
        fails("{\"model_type\": \"bert\", \"vocab_size\": \"x\"}", "vocab_size")
        fails("not json", "not a JSON object")
        // a valid config whose weights file is missing a tensor / has a wrong shape
        try Data("{\"model_type\": \"gpt2\", \"vocab_size\": 10, \"n_positions\": 4, \"n_embd\": 6, \"n_layer\": 1, \"n_head\": 2}".utf8)
            .write(to: dir.appendingPathComponent("config.json"))
        let full = try GPT2LMHeadModel(config: GPT2Config(vocabSize: 10, nPositions: 4, nEmbd: 6, nLayer: 1, nHead: 2), seed: 3)
        var tensors = Checkpoint.tensors(of: full.parameterSpecs, in: UnsafeBufferPointer(full.parameters))
        tensors.removeAll { $0.name == "transformer.ln_f.bias" }
        try SafeTensors.write(tensors, to: dir.appendingPathComponent("model.safetensors"))
        do { _ = try Checkpoint.load(dir); Issue.record("accepted a missing tensor") }
        catch { #expect("\(error)".contains("missing tensor \"transformer.ln_f.bias\"")) }
        let i = tensors.firstIndex { $0.name == "transformer.wte.weight" }!
        tensors[i].tensor.shape = [tensors[i].tensor.values.count]
        try SafeTensors.write(tensors, to: dir.appendingPathComponent("model.safetensors"))
        do { _ = try Checkpoint.load(dir); Issue.record("accepted a wrong shape") }
        catch { #expect("\(error)".contains("has shape")) }
    }

    @Test func badBatchesAreRejected() throws {
        let m = try GPT2LMHeadModel(config: GPT2Config(vocabSize: 10, nPositions: 4, nEmbd: 6, nLayer: 1, nHead: 2), seed: 3)
        func fails(_ b: TokenBatch, _ fragment: String) {
            do { _ = try m.loss(b); Issue.record("accepted batch (\(fragment))") } catch { #expect("\(error)".contains(fragment), "\(error)") }
        }
        fails(TokenBatch(batchSize: 1, sequenceLength: 5, inputIDs: [1, 2, 3, 4, 5]), "exceeds")
        fails(TokenBatch(batchSize: 1, sequenceLength: 3, inputIDs: [1, 2, 10]), "input_ids[0][2] = 10")
        fails(TokenBatch(batchSize: 1, sequenceLength: 3, inputIDs: [1, 2, 3], labels: [1, -100, -100]), "no position")
        fails(TokenBatch(batchSize: 2, sequenceLength: 3, inputIDs: [1, 2, 3]), "expected 2 x 3")
        #expect(throws: ModelError.self) {
            try TokenBatch.fromJSON(Data("{\"input_ids\": [[1, 2], [3]]}".utf8), file: "b.json")
        }
        do { _ = try TokenBatch.fromJSON(Data("{\"input_ids\": [[1, 2.5]]}".utf8), file: "b.json") }
        catch { #expect("\(error)" == "batch: b.json: \"input_ids\"[0][1] is not an integer") }
    }

    /// Same seed, same weights; training FLOPs formula on a hand-counted case.
    @Test func initializationAndFLOPs() throws {
        let c = GPT2Config(vocabSize: 100, nPositions: 16, nEmbd: 8, nLayer: 2, nHead: 2)
        let a = try GPT2LMHeadModel(config: c, seed: 5), b = try GPT2LMHeadModel(config: c, seed: 5)
        #expect(Array(a.parameters) == Array(b.parameters))
        // per layer 12 C^2 = 768 matrix params -> 2 layers 1536; forward 2*1536 + 2*8*100 + 4*2*16*8 = 5696; x3
        #expect(a.trainingFLOPsPerToken == 3 * 5696)
        // T = 128: two causal blocks of 64, keys per query (64·64 + 64·128)/128 = 96
        let expected128: Double = 3 * (2 * 1536 + 2 * 8 * 100 + 4 * 2 * 8 * 96)
        #expect(a.trainingFLOPsPerToken(sequenceLength: 128) == expected128)
        let w = a.parameterSpecs.first { $0.name == "transformer.wte.weight" }!
        let std = (Array(a.parameters[w.offset..<(w.offset + w.count)]).map { Double($0 * $0) }.reduce(0, +) / Double(w.count)).squareRoot()
        #expect(abs(std - 0.02) < 0.002)
    }
}
