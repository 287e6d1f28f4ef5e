import ArgumentParser

@main
struct AutoScale: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autoscale",
        abstract: "Compute-optimal data mixtures for language-model pretraining (DDO + AutoScale).",
        subcommands: [BenchGEMM.self, FitCommand.self, OptimalCommand.self, DDOCommand.self, PredictCommand.self])
}
