import ArgumentParser

/// `autoscale ddo`: Direct Data Optimization at one budget.
struct DDOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ddo",
        abstract: "Direct Data Optimization: the optimal data mixture at one budget from perturbation runs.",
        subcommands: [DDOPlanCommand.self, DDOFitCommand.self, DDORunCommand.self])
}
