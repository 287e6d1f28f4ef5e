import Foundation
import Testing
import TestSupport
import Transformer

/// `autoscale grad` end to end: the built binary on the PyTorch fixtures (Fixtures/engine/<case>),
/// loss to 1e-5 relative and every gradient to 1e-4 of its tensor's largest magnitude (BERT's key
/// biases, whose exact gradient is 0, to 1e-7 of the model's largest gradient); bad inputs
/// give one error line, exit status 1 and no output file.
struct GradCLITests {
    struct Run { var status: Int32; var stdout: String; var stderr: String }

    func autoscale(_ args: [String]) throws -> Run {
        let r = try CLI.run(args)
        return Run(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    func temp(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("grad-\(UUID().uuidString)-\(name)")
    }

    struct Expected: Decodable { var loss: Double }
    struct Printed: Decodable { var loss: Double; var tensors: Int }

    @Test(arguments: ["gpt2_odd", "gpt2_nolabels", "bert_odd"])
    func matchesPyTorch(_ c: String) throws {
        let out = temp("grads.safetensors")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try autoscale(["grad", "--model", Fixture.url("engine/\(c)").path,
                               "--batch", Fixture.url("engine/\(c)/batch.json").path, "--out", out.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let printed = try JSONDecoder().decode(Printed.self, from: Data(r.stdout.utf8))
        let expected = try Fixture.json(Expected.self, "engine/\(c)/expected.json")
        #expect(abs(printed.loss - expected.loss) / expected.loss < 1e-5)
        let ours = try SafeTensors.read(out).tensors
        let ref = try SafeTensors.read(Fixture.url("engine/\(c)/grads.safetensors")).tensors
        #expect(Set(ours.keys) == Set(ref.keys))
        #expect(printed.tensors == ours.count)
        let globalMax = ref.values.map { $0.values.map { abs(Double($0)) }.max()! }.max()!
        for (name, r) in ref {
            let o = try #require(ours[name])
            #expect(o.shape == r.shape)
            var scale = r.values.map { abs(Double($0)) }.max()!
            if name.hasSuffix("attention.self.key.bias") { scale = 1e-3 * globalMax }
            #expect(maxAbsDiff(o.values, r.values) / scale < 1e-4, "\(name)")
        }
    }

    @Test func badInputsFailWithOneLine() throws {
        let out = temp("never.safetensors")
        let dir = temp("model")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = Fixture.url("engine/gpt2_odd").path, batch = Fixture.url("engine/gpt2_odd/batch.json").path
        // truncated weights
        try FileManager.default.copyItem(at: Fixture.url("engine/gpt2_odd/config.json"), to: dir.appendingPathComponent("config.json"))
        let weights = try Data(contentsOf: Fixture.url("engine/gpt2_odd/model.safetensors"))
        try weights.prefix(weights.count - 100).write(to: dir.appendingPathComponent("model.safetensors"))
        let badBatch = temp("batch.json")
        try Data("{\"input_ids\": [[1, 2, 999]]}".utf8).write(to: badBatch)
        defer { try? FileManager.default.removeItem(at: badBatch) }
        for (args, fragment) in [
            (["--model", dir.path, "--batch", batch], "truncated"),
            (["--model", "/nonexistent/model", "--batch", batch], "/nonexistent/model/config.json"),
            (["--model", model, "--batch", "/nonexistent/b.json"], "/nonexistent/b.json"),
            (["--model", model, "--batch", badBatch.path], "input_ids[0][2] = 999"),
        ] {
            let r = try autoscale(["grad"] + args + ["--out", out.path])
            #expect(r.status == 1)
            #expect(r.stderr.contains(fragment), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(r.stdout.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: out.path))
        }
    }

    /// Without --json: one sentence with the same loss and tensor count; --quiet changes nothing on stdout and
    /// leaves stderr empty.
    @Test func textOutputAndQuiet() throws {
        let out = temp("grads.safetensors")
        defer { try? FileManager.default.removeItem(at: out) }
        let args = ["grad", "--model", Fixture.url("engine/gpt2_odd").path,
                    "--batch", Fixture.url("engine/gpt2_odd/batch.json").path, "--out", out.path]
        let json = try autoscale(args + ["--json"])
        let printed = try JSONDecoder().decode(Printed.self, from: Data(json.stdout.utf8))
        let text = try autoscale(args + ["--quiet"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stderr.isEmpty)
        #expect(text.stdout == "loss \(printed.loss); wrote \(printed.tensors) gradient tensors to \(out.path)\n")
    }

    /// `autoscale --version` prints the release and exits 0.
    @Test func version() throws {
        let r = try autoscale(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil, "\(r.stdout)")
    }
}
