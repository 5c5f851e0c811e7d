import Foundation
import Testing
@testable import SpoolCore

@Suite struct DistributionTests {
    /// Every distribution, in the mapping form (v2) and the string form, read to the same value.
    @Test(arguments: [
        ("{type: choice, values: [sgd, adam]}", "choice('sgd', 'adam')", Distribution.choice(["sgd", "adam"])),
        ("{type: choice, values: [8, 16]}", "choice(8, 16)", .choice([8, 16])),
        ("{type: randint, upper: 10}", "randint(10)", .randint(upper: 10)),
        ("{type: uniform, min_value: 0.0001, max_value: 0.01}", "uniform(0.0001, 0.01)", .uniform(min: 0.0001, max: 0.01)),
        ("{type: quniform, min_value: 1, max_value: 9, q: 2}", "quniform(1, 9, 2)", .quniform(min: 1, max: 9, q: 2)),
        ("{type: loguniform, min_value: -9, max_value: -2}", "loguniform(-9, -2)", .loguniform(min: -9, max: -2)),
        ("{type: qloguniform, min_value: 2, max_value: 5, q: 8}", "qloguniform(2, 5, 8)", .qloguniform(min: 2, max: 5, q: 8)),
        ("{type: normal, mu: 0.5, sigma: 0.1}", "normal(0.5, 0.1)", .normal(mu: 0.5, sigma: 0.1)),
        ("{type: qnormal, mu: 10, sigma: 2, q: 1}", "qnormal(10, 2, 1)", .qnormal(mu: 10, sigma: 2, q: 1)),
        ("{type: lognormal, mu: -4, sigma: 1}", "lognormal(-4, 1)", .lognormal(mu: -4, sigma: 1)),
        ("{type: qlognormal, mu: 3, sigma: 0.5, q: 4}", "qlognormal(3, 0.5, 4)", .qlognormal(mu: 3, sigma: 0.5, q: 4)),
    ])
    func bothFormsReadTheSame(mapping: String, text: String, expected: Distribution) throws {
        // Read as YAML values (every parameter name is checked against its range elsewhere: SweepSettingsTests).
        let document = try SettingsDocument.parse("a: \(mapping)\nb: \"\(text)\"\n", file: "settings.yaml", json: false)
        guard case let .map(root) = document.root else {
            Issue.record("not a mapping")
            return
        }
        #expect(try Distribution.parse(try #require(root["a"])) == expected)
        #expect(try Distribution.parse(try #require(root["b"])) == expected)
        #expect(try Distribution.parse(text: expected.description) == expected)
    }

    @Test func pythonSpellingsOfChoice() throws {
        #expect(try Distribution.parse(text: "choice([1, 2, 3])") == .choice([1, 2, 3]))
        #expect(try Distribution.parse(text: "choice(range(1, 4))") == .choice([1, 2, 3]))
        #expect(try Distribution.parse(text: #"Choice("a", 'b', True)"#) == .choice(["a", "b", .bool(true)]))
    }

    /// Each malformed distribution has its own message.
    @Test(arguments: [
        ("choice()", "at least one value"),
        ("{type: choice, values: []}", "at least one value"),
        ("choice('a', 'a')", "twice"),
        ("uniform(0.1)", "takes 2 numbers"),
        ("uniform(0.5, 0.1)", "must be below max_value"),
        ("{type: uniform, min_value: 0.1}", "max_value is missing"),
        ("{type: uniform, min: 0, max: 1}", "not max"),
        ("{type: gaussian, mu: 0}", "not a distribution"),
        ("unifrom(0, 1)", "did you mean uniform"),
        ("randint(0)", "upper must be a whole number >= 1"),
        ("quniform(0, 10, 0)", "q must be > 0"),
        ("normal(0, -1)", "sigma must be > 0"),
        ("loguniform(0.0001, 100)", "natural logarithms"),
        ("uniform(a, 1)", "min_value must be a number"),
        ("0.1", "a distribution as text"),
        ("{values: [1]}", "needs type"),
    ])
    func malformedDistributionsSayWhy(given: String, message: String) throws {
        let text = given.hasPrefix("{") ? given : "\"\(given)\""
        let error = try #require(failure("task: image_classification\nsearch_space:\n  - learning_rate: \(text)\n"))
        let problem = try #require(error.problems.first)
        #expect(problem.key == "search_space[0].learning_rate")
        #expect(problem.location?.line == 3)
        #expect(problem.message.contains(message), "\(problem.message)")
    }

    @Test func samplesStayInTheirSupport() {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<500 {
            let u = Distribution.uniform(min: 2, max: 3).sample(using: &generator).coercedDouble!
            #expect(u >= 2 && u < 3)
            let q = Distribution.quniform(min: 0, max: 10, q: 2.5).sample(using: &generator).coercedDouble!
            #expect((q / 2.5).rounded() * 2.5 == q && q >= 0 && q <= 10)
            let l = Distribution.loguniform(min: log(0.001), max: log(0.1)).sample(using: &generator).coercedDouble!
            #expect(l >= 0.001 * 0.999999 && l <= 0.1)
            let r = Distribution.randint(upper: 4).sample(using: &generator)
            #expect([0, 1, 2, 3].map(SettingValue.int).contains(r))
        }
        // Whole quanta give integers, so an integer hyperparameter takes them as they are.
        #expect(Distribution.qnormal(mu: 10, sigma: 2, q: 1).sample(using: &generator).coercedInt != nil)
        if case .int = Distribution.quniform(min: 8, max: 64, q: 8).sample(using: &generator) {} else {
            Issue.record("quniform with a whole q must give an integer")
        }
    }

    @Test func normalSamplesHaveTheirMoments() {
        var generator = SplitMix64(seed: 11)
        let draws = (0..<4000).map { _ in Distribution.normal(mu: 1, sigma: 2).sample(using: &generator).coercedDouble! }
        let mean = draws.reduce(0, +) / Double(draws.count)
        let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws.count)
        #expect(abs(mean - 1) < 0.15)
        #expect(abs(variance.squareRoot() - 2) < 0.15)
    }
}

private func failure(_ text: String) -> SettingsError? {
    do {
        _ = try JobSettings.parse(text, file: "settings.yaml")
        return nil
    } catch {
        return error
    }
}
