import ArgumentParser
import Base
import Foundation
import LinearAlgebra

/// `autoscale bench-gemm`: the sgemm roofline of this machine.
struct BenchGEMM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-gemm",
        abstract: "Measure OpenBLAS sgemm GFLOP/s at square and transformer shapes, single and all threads.")

    @Option(help: "Shapes as MxNxK, comma separated.")
    var shapes: String = "256x256x256,512x512x512,1024x1024x1024,2048x1024x256,2048x256x1024,2048x256x256,2048x4096x128"

    @Option(help: "Thread counts, comma separated (default: 1 and all cores).")
    var threads: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    @OptionGroup var progress: ProgressOptions

    func run() throws {
        let parsed = try shapes.split(separator: ",").map { s -> (Int, Int, Int) in
            let d = s.split(separator: "x").compactMap { Int($0) }
            guard d.count == 3, d.allSatisfy({ $0 > 0 }) else { throw FieldError("shapes", "'\(s)' is not MxNxK") }
            return (d[0], d[1], d[2])
        }
        let counts = try threads.map { t in
            try t.split(separator: ",").map { s -> Int in
                guard let v = Int(s), v > 0 else { throw FieldError("threads", "'\(s)' is not a positive integer") }
                return v
            }
        } ?? Array(Set([1, BLASThreads.cores])).sorted()
        var results: [GEMMBenchmark.Result] = []
        for t in counts {
            for (m, n, k) in parsed {
                let r = GEMMBenchmark.sgemm(m: m, n: n, k: k, threads: t)
                results.append(r)
                if !json {
                    print(String(format: "sgemm %5dx%5dx%5d  threads %d  %8.1f GFLOP/s  %9.3f ms", m, n, k, t, r.gflops, r.seconds * 1e3))
                }
            }
        }
        if json {
            let data = try JSONEncoder().encode(["results": results])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
