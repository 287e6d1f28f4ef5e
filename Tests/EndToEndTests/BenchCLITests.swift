import Foundation
import Testing
import TestSupport

/// `autoscale bench` end to end on minuscule models (a few ms per step): the `--json` object has
/// every documented field, positive, and consistent (`gflops / sgemm_peak_gflops == peak_fraction`,
/// `theoretical_bytes == optimizer_state_bytes + activation_bytes`, 16 bytes per parameter);
/// a bad argument gives one `Error:` line and exit status 1. Speed itself is `make bench`'s job.
struct BenchCLITests {
    @Test(arguments: ["gpt2", "bert"])
    func jsonFieldsPositive(_ arch: String) throws {
        let r = try CLI.run(["bench", "--arch", arch, "--layers", "1", "--embd", "12", "--heads", "3", "--vocab", "37",
                             "--ctx", "9", "--batch", "2", "--steps", "2", "--warmup", "1", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        for key in ["tokens_per_s", "gflops", "sgemm_peak_gflops", "peak_fraction", "seconds_per_step",
                    "optimizer_state_bytes", "peak_resident_bytes", "activation_bytes", "theoretical_bytes",
                    "memory_ratio", "baseline_resident_bytes", "memory_ratio_above_baseline", "parameters", "tokens_per_step", "blas_threads"] {
            let v = try #require(o[key] as? Double, "missing \(key)")
            #expect(v > 0 && v.isFinite, "\(key) = \(v)")
        }
        #expect(o["steps"] as? Int == 2)
        #expect(o["tokens_per_step"] as? Int == 18)
        let g = o["gflops"] as! Double, peak = o["sgemm_peak_gflops"] as! Double, frac = o["peak_fraction"] as! Double
        #expect(abs(g / peak - frac) <= 1e-12 * frac)
        let params = o["parameters"] as! Int
        #expect(o["optimizer_state_bytes"] as? Int == 16 * params)
        #expect(o["theoretical_bytes"] as? Int == 16 * params + (o["activation_bytes"] as! Int))
    }

    @Test(arguments: [
        (["--arch", "gpt3"], "--arch must be gpt2 or bert"),
        (["--arch", "gpt2", "--heads", "5"], "must be a multiple of --heads"),
        (["--arch", "bert", "--steps", "0"], "--steps must be at least 1"),
    ])
    func badArgument(_ extra: [String], _ message: String) throws {
        var options = ["--layers": "1", "--embd": "12", "--heads": "3", "--vocab": "37", "--ctx": "9",
                       "--batch": "2", "--steps": "1"]
        for i in stride(from: 0, to: extra.count, by: 2) { options[extra[i]] = extra[i + 1] }
        let args = ["bench"] + options.keys.sorted().flatMap { [$0, options[$0]!] }
        let r = try CLI.run(args)
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("Error: bench: ") && r.stderr.contains(message), "\(r.stderr)")
    }
}
