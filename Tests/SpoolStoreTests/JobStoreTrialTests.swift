import Foundation
import Testing
@testable import SpoolStore

@Suite("Trials and epochs")
struct JobStoreTrialTests {
    /// A store with one job claimed by "d1"; the spool folder lives as long as the fixture.
    private struct Running {
        let spool: TempSpool
        let clock: ManualClock
        let store: JobStore
        let job: Job

        init() throws {
            spool = try TempSpool()
            clock = ManualClock()
            store = try spool.store(clock)
            try store.add(newJob("a"))
            job = try #require(try store.claimNext(owner: "d1", leaseSeconds: 60))
        }
    }

    @Test("trials are numbered from 0 and belong to the lease holder's job")
    func startTrials() throws {
        let fixture = try Running()
        let (clock, store, job) = (fixture.clock, fixture.store, fixture.job)
        let first = try store.startTrial(jobID: job.id, owner: "d1", hyperparametersJSON: #"{"lr":0.01}"#, pid: 4242,
                                         device: "cpu")
        #expect(first.number == 0)
        #expect(first.state == .running)
        #expect(first.startedAt == clock.now)
        #expect(first.pid == 4242 && first.device == "cpu")
        #expect(try store.startTrial(jobID: job.id, owner: "d1", hyperparametersJSON: "{}").number == 1)
        #expect(try store.startTrial(jobID: job.id, owner: "d1", number: 7, hyperparametersJSON: "{}").number == 7)
        #expect(try store.startTrial(jobID: job.id, owner: "d1", hyperparametersJSON: "{}").number == 8)
        let taken = #expect(throws: JobStoreError.self) {
            try store.startTrial(jobID: job.id, owner: "d1", number: 7, hyperparametersJSON: "{}")
        }
        #expect(taken?.code == .invalidArgument)
        let stranger = #expect(throws: JobStoreError.self) {
            try store.startTrial(jobID: job.id, owner: "d2", hyperparametersJSON: "{}")
        }
        #expect(stranger?.code == .leaseLost)
        #expect(try store.trials(jobID: job.id).map(\.number) == [0, 1, 7, 8])
        #expect(try store.events(jobID: job.id).map(\.message).contains("trial 0 started (cpu, pid 4242)"))
    }

    @Test("a running trial keeps its latest progress; an ended one keeps none")
    func progress() throws {
        let fixture = try Running()
        let (store, job) = (fixture.store, fixture.job)
        let trial = try store.startTrial(jobID: job.id, owner: "d1", hyperparametersJSON: "{}")
        #expect(try store.trial(id: trial.id)?.progressJSON == nil)
        #expect(try store.recordProgress(trialID: trial.id, json: #"{"type":"step","epoch":1}"#))
        #expect(try store.recordProgress(trialID: trial.id, json: #"{"type":"step","epoch":2}"#))
        #expect(try store.trial(id: trial.id)?.progressJSON == #"{"type":"step","epoch":2}"#)
        try store.finishTrial(trialID: trial.id, state: .completed, reason: "finished")
        #expect(try store.trial(id: trial.id)?.progressJSON == nil)
        #expect(try store.recordProgress(trialID: trial.id, json: #"{"type":"step","epoch":3}"#) == false)
        #expect(try store.trial(id: trial.id)?.progressJSON == nil)
    }

    @Test("the daemon's cap on a job's budget is kept only when it is lower")
    func budgetCap() throws {
        let fixture = try Running()
        let (store, job) = (fixture.store, fixture.job)
        try store.setBudgetCap(jobID: job.id, seconds: job.budgetSeconds + 60)
        #expect(try store.job(id: job.id)?.budgetCapSeconds == nil)
        #expect(try store.job(id: job.id)?.effectiveBudgetSeconds == job.budgetSeconds)
        try store.setBudgetCap(jobID: job.id, seconds: 300)
        #expect(try store.job(id: job.id)?.budgetCapSeconds == 300)
        #expect(try store.job(id: job.id)?.effectiveBudgetSeconds == 300)
        try store.setBudgetCap(jobID: job.id, seconds: nil)
        #expect(try store.job(id: job.id)?.effectiveBudgetSeconds == job.budgetSeconds)
    }

    @Test("epochs are recorded, replaced when recorded again, and keep the trial's best")
    func epochs() throws {
        let fixture = try Running()
        let (clock, store, job) = (fixture.clock, fixture.store, fixture.job)
        let trial = try store.startTrial(jobID: job.id, owner: "d1", hyperparametersJSON: "{}")
        try store.recordEpoch(trialID: trial.id, epoch: 1, trainLoss: 1.2, validationLoss: 1.1, primaryMetric: 0.50)
        clock.advance(30)
        try store.recordEpoch(trialID: trial.id, epoch: 2, trainLoss: 0.8, validationLoss: 0.9, primaryMetric: 0.70,
                              metricsJSON: #"{"accuracy":0.7}"#)
        try store.recordEpoch(trialID: trial.id, epoch: 3, trainLoss: .nan, primaryMetric: 0.65)
        try store.recordEpoch(trialID: trial.id, epoch: 4, trainLoss: 0.5)  // not evaluated
        // A retried trainer records epoch 2 again.
        let replaced = try store.recordEpoch(trialID: trial.id, epoch: 2, trainLoss: 0.79, primaryMetric: 0.72)
        #expect(replaced.recordedAt == clock.now)

        let epochs = try store.epochs(trialID: trial.id)
        #expect(epochs.map(\.epoch) == [1, 2, 3, 4])
        #expect(epochs[1].trainLoss == 0.79 && epochs[1].primaryMetric == 0.72 && epochs[1].validationLoss == nil)
        #expect(epochs[2].trainLoss == nil)  // NaN is stored as NULL
        #expect(epochs[0].recordedAt == ManualClock.start)
        let now = try #require(try store.trial(id: trial.id))
        #expect(now.epochsDone == 4)
        #expect(now.bestMetricValue == 0.72)
        #expect(throws: JobStoreError.self) { try store.recordEpoch(trialID: trial.id, epoch: 0, trainLoss: 1) }
        let missing = #expect(throws: JobStoreError.self) { try store.recordEpoch(trialID: 999, epoch: 1, trainLoss: 1) }
        #expect(missing?.code == .notFound)
    }

    @Test("a trial finishes once, and takes no epochs after")
    func finishTrial() throws {
        let fixture = try Running()
        let (clock, store, job) = (fixture.clock, fixture.store, fixture.job)
        let trial = try store.startTrial(jobID: job.id, owner: "d1", hyperparametersJSON: "{}")
        try store.recordEpoch(trialID: trial.id, epoch: 1, trainLoss: 1, primaryMetric: 0.6)
        clock.advance(100)
        let done = try store.finishTrial(trialID: trial.id, state: .completed, reason: "early stopping at epoch 1")
        #expect(done.state == .completed && done.finishedAt == clock.now && done.bestMetricValue == 0.6)
        let twice = #expect(throws: JobStoreError.self) {
            try store.finishTrial(trialID: trial.id, state: .failed, reason: "again")
        }
        #expect(twice?.code == .alreadyFinished)
        #expect(throws: JobStoreError.self) { try store.recordEpoch(trialID: trial.id, epoch: 2, trainLoss: 1) }

        let oom = try store.startTrial(jobID: job.id, owner: "d1", hyperparametersJSON: "{}")
        let ended = try store.finishTrial(trialID: oom.id, state: .outOfMemory, reason: "out of memory at batch 64",
                                          bestMetric: nil)
        #expect(ended.state == .outOfMemory && ended.bestMetricValue == nil)
        #expect(throws: JobStoreError.self) {
            try store.finishTrial(trialID: oom.id, state: .running, reason: "no")
        }
    }
}
