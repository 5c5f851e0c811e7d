import Foundation
import GRDB

extension JobStore {
    /// Starts a trial of a RUNNING job that `owner` holds: numbered `number`, or the next number when nil
    /// (0 for the first).
    /// - Throws: `leaseLost`/`alreadyFinished` when the job is not `owner`'s to run; `invalidArgument` when
    ///   the number is taken.
    public func startTrial(
        jobID: String, owner: String, number: Int? = nil, hyperparametersJSON: String, pid: Int32? = nil,
        device: String? = nil, branch: Int? = nil, configurationIndex: Int? = nil, retryOf: Int? = nil
    ) throws -> Trial {
        try writeImmediate { db in
            let at = now()
            try Self.requireHolder(jobID: jobID, owner: owner, db)
            let chosen = try number ?? Int.fetchOne(db, sql: """
                SELECT COALESCE(MAX(number), -1) + 1 FROM trials WHERE job_id = ?
                """, arguments: [jobID])!
            guard chosen >= 0 else {
                throw JobStoreError(.invalidArgument, "trial number \(chosen): trials count from 0", jobID: jobID)
            }
            if try Trial.filter(Trial.Columns.jobID == jobID && Trial.Columns.number == chosen).fetchCount(db) > 0 {
                throw JobStoreError(.invalidArgument, "job \(jobID) already has a trial \(chosen)", jobID: jobID)
            }
            let trial = try Trial.fetchOne(db, sql: """
                INSERT INTO trials (job_id, number, state, reason, hyperparameters_json, started_at, pid, device,
                    branch, configuration_index, retry_of)
                VALUES (?, ?, 'RUNNING', 'running', ?, ?, ?, ?, ?, ?, ?)
                RETURNING *
                """, arguments: [jobID, chosen, hyperparametersJSON, at, pid, device, branch, configurationIndex, retryOf])!
            try db.execute(sql: "INSERT INTO trial_runs (trial_id, run, started_at) VALUES (?, 1, ?)", arguments: [trial.id, at])
            let place = [device, pid.map { "pid \($0)" }].compactMap { $0 }.joined(separator: ", ")
            try Self.log(db, jobID, at, .info, "trial \(chosen) started" + (place.isEmpty ? "" : " (\(place))"))
            return trial
        }
    }

    /// Starts again a trial that waits to resume (PENDING: the daemon died or stopped while it ran), as its next
    /// run, on `device`.
    /// - Throws: `leaseLost`/`alreadyFinished` when the job is not `owner`'s to run; `invalidArgument` when the
    ///   trial is not waiting to resume.
    public func resumeTrial(trialID: Int64, owner: String, device: String? = nil) throws -> Trial {
        try writeImmediate { db in
            let at = now()
            guard let trial = try Trial.fetchOne(db, key: trialID) else {
                throw JobStoreError(.notFound, "there is no trial \(trialID)")
            }
            try Self.requireHolder(jobID: trial.jobID, owner: owner, db)
            guard trial.state == .pending else {
                throw JobStoreError(.invalidArgument, "trial \(trial.number) of job \(trial.jobID) is \(trial.state), not waiting to resume",
                                    jobID: trial.jobID)
            }
            let run = try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(run), 0) + 1 FROM trial_runs WHERE trial_id = ?",
                                       arguments: [trialID])!
            try db.execute(sql: "INSERT INTO trial_runs (trial_id, run, started_at) VALUES (?, ?, ?)", arguments: [trialID, run, at])
            let resumed = try Trial.fetchOne(db, sql: """
                UPDATE trials SET state = 'RUNNING', reason = ?, device = COALESCE(?, device), finished_at = NULL
                WHERE id = ? RETURNING *
                """, arguments: ["running (run \(run), resumed)", device, trialID])!
            try Self.log(db, trial.jobID, at, .info, "trial \(trial.number) resumes (run \(run))")
            return resumed
        }
    }

    /// Copies `trial` of an earlier job into `jobID` (a requeued job that continues it), with `state` and
    /// `reason`, its recorded epochs and its runs.
    @discardableResult
    public func adoptTrial(_ trial: Trial, into jobID: String, owner: String, state: JobState, reason: String) throws -> Trial {
        try writeImmediate { db in
            let at = now()
            try Self.requireHolder(jobID: jobID, owner: owner, db)
            let adopted = try Trial.fetchOne(db, sql: """
                INSERT INTO trials (job_id, number, state, reason, hyperparameters_json, started_at, finished_at,
                    epochs_done, best_metric_value, device, branch, configuration_index, retry_of)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                RETURNING *
                """, arguments: [jobID, trial.number, state, reason, trial.hyperparametersJSON, trial.startedAt,
                                 state.isFinal ? trial.finishedAt : nil, trial.epochsDone, trial.bestMetricValue,
                                 trial.device, trial.branch, trial.configurationIndex, trial.retryOf])!
            try db.execute(sql: """
                INSERT INTO epoch_metrics (trial_id, epoch, train_loss, validation_loss, primary_metric, metrics_json, recorded_at)
                SELECT ?, epoch, train_loss, validation_loss, primary_metric, metrics_json, recorded_at
                FROM epoch_metrics WHERE trial_id = ?
                """, arguments: [adopted.id, trial.id])
            try db.execute(sql: """
                INSERT INTO trial_runs (trial_id, run, started_at, finished_at, resumed_after, outcome)
                SELECT ?, run, started_at, COALESCE(finished_at, ?), resumed_after, COALESCE(outcome, ?)
                FROM trial_runs WHERE trial_id = ?
                """, arguments: [adopted.id, at, "\(trial.state): \(trial.reason)", trial.id])
            try Self.log(db, jobID, at, .info, "trial \(trial.number) taken over from \(trial.jobID): \(reason)")
            return adopted
        }
    }

    /// Records the epoch a trial's current run continued after (the trainer's `resumed` event).
    public func recordResume(trialID: Int64, afterEpoch epoch: Int) throws {
        try writeImmediate { db in
            try db.execute(sql: """
                UPDATE trial_runs SET resumed_after = ?
                WHERE trial_id = ? AND run = (SELECT MAX(run) FROM trial_runs WHERE trial_id = ?)
                """, arguments: [epoch, trialID, trialID])
        }
    }

    /// A RUNNING trial the daemon's shutdown stopped: PENDING, to resume from its last checkpoint when the job
    /// runs again; its run ends as interrupted.
    public func interruptTrial(trialID: Int64, reason: String) throws {
        try writeImmediate { db in
            let at = now()
            try Self.requireRunning(trialID: trialID, db)
            try Self.endRuns(db, at: at, outcome: "interrupted: \(reason)", trials: "SELECT ?", [trialID])
            try db.execute(sql: """
                UPDATE trials SET state = 'PENDING', reason = ?, pid = NULL, progress_json = NULL WHERE id = ?
                """, arguments: ["interrupted: \(reason); it resumes from its last checkpoint", trialID])
        }
    }

    /// Every run of the job's trials, by trial number then run.
    public func trialRuns(jobID: String) throws -> [TrialRun] {
        try read { db in
            try TrialRun.fetchAll(db, sql: """
                SELECT t.number AS trial, r.run, r.started_at, r.finished_at, r.resumed_after, r.outcome
                FROM trial_runs r JOIN trials t ON t.id = r.trial_id
                WHERE t.job_id = ? ORDER BY t.number, r.run
                """, arguments: [jobID])
        }
    }

    /// Records what epoch `epoch` (from 1) of a RUNNING trial measured; recording an epoch again replaces it
    /// (a retried trainer). Keeps the trial's `epochsDone` and best metric (the highest primary metric) up
    /// to date. Numbers that are not finite are stored as nil.
    @discardableResult
    public func recordEpoch(
        trialID: Int64, epoch: Int, trainLoss: Double?, validationLoss: Double? = nil, primaryMetric: Double? = nil,
        metricsJSON: String = "{}"
    ) throws -> EpochMetric {
        guard epoch >= 1 else {
            throw JobStoreError(.invalidArgument, "epoch \(epoch) of trial \(trialID): epochs count from 1")
        }
        func finite(_ value: Double?) -> Double? { value.flatMap { $0.isFinite ? $0 : nil } }
        let metric = finite(primaryMetric)
        return try writeImmediate { db in
            let at = now()
            try Self.requireRunning(trialID: trialID, db)
            let record = try EpochMetric.fetchOne(db, sql: """
                INSERT INTO epoch_metrics (trial_id, epoch, train_loss, validation_loss, primary_metric, metrics_json,
                    recorded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (trial_id, epoch) DO UPDATE SET
                    train_loss = excluded.train_loss, validation_loss = excluded.validation_loss,
                    primary_metric = excluded.primary_metric, metrics_json = excluded.metrics_json,
                    recorded_at = excluded.recorded_at
                RETURNING *
                """, arguments: [trialID, epoch, finite(trainLoss), finite(validationLoss), metric, metricsJSON, at])!
            try db.execute(sql: """
                UPDATE trials SET
                    epochs_done = MAX(epochs_done, :epoch),
                    best_metric_value = CASE
                        WHEN :metric IS NULL THEN best_metric_value
                        WHEN best_metric_value IS NULL OR :metric > best_metric_value THEN :metric
                        ELSE best_metric_value END
                WHERE id = :trial
                """, arguments: ["epoch": epoch, "metric": metric, "trial": trialID])
            return record
        }
    }

    /// Ends a RUNNING trial in a final `state`; `bestMetric`, when given, replaces the best recorded from
    /// its epochs (the trainer's final word).
    /// - Throws: `alreadyFinished` when the trial has ended (a trial finishes once), `notFound`.
    @discardableResult
    public func finishTrial(trialID: Int64, state: JobState, reason: String, bestMetric: Double? = nil) throws
        -> Trial
    {
        guard state.isFinal else {
            throw JobStoreError(.invalidArgument, "a trial finishes in a final state, not \(state)")
        }
        return try writeImmediate { db in
            let at = now()
            try Self.requireRunning(trialID: trialID, db)
            let trial = try Trial.fetchOne(db, sql: """
                UPDATE trials SET state = ?, reason = ?, finished_at = ?,
                    best_metric_value = COALESCE(?, best_metric_value), progress_json = NULL
                WHERE id = ? RETURNING *
                """, arguments: [state, reason, at, bestMetric.flatMap { $0.isFinite ? $0 : nil }, trialID])!
            try Self.endRuns(db, at: at, outcome: "\(state): \(reason)", trials: "SELECT ?", [trialID])
            let level: JobEvent.Level = state == .completed ? .info : .warning
            try Self.log(db, trial.jobID, at, level, "trial \(trial.number) \(state): \(reason)")
            return trial
        }
    }

    /// Records the Slurm job a trial runs as, once `sbatch` has accepted it.
    public func setSlurmJobID(trialID: Int64, _ slurmJobID: String) throws {
        try writeImmediate { db in
            try db.execute(sql: "UPDATE trials SET slurm_job_id = ? WHERE id = ?", arguments: [slurmJobID, trialID])
        }
    }

    /// Keeps a RUNNING trial's latest progress event (the trainer's JSON line) for `spoolctl status`. A trial
    /// that has ended keeps none, so a late event is dropped. Returns whether it was kept.
    @discardableResult
    public func recordProgress(trialID: Int64, json: String) throws -> Bool {
        try writeImmediate { db in
            try db.execute(sql: "UPDATE trials SET progress_json = ? WHERE id = ? AND state = 'RUNNING'",
                           arguments: [json, trialID])
            return db.changesCount > 0
        }
    }

    /// Records the daemon's cap on a job's budget (`serve --max-job-seconds`) when it is below the job's own,
    /// so that `status` shows the budget the job really runs under; nil clears it.
    public func setBudgetCap(jobID: String, seconds: Int?) throws {
        try writeImmediate { db in
            try db.execute(sql: """
                UPDATE jobs SET budget_cap_seconds = CASE WHEN ? < budget_seconds THEN ? END WHERE id = ?
                """, arguments: [seconds, seconds, jobID])
        }
    }

    /// Throws unless `owner` holds `jobID` RUNNING (`leaseLost`, `alreadyFinished`, `notFound`).
    private static func requireHolder(jobID: String, owner: String, _ db: Database) throws {
        guard try Bool.fetchOne(db, sql: """
            SELECT 1 FROM jobs WHERE id = ? AND state = 'RUNNING' AND lease_owner = ?
            """, arguments: [jobID, owner]) ?? false
        else {
            throw try Self.refusal(jobID: jobID, owner: owner, db)
        }
    }

    private static func requireRunning(trialID: Int64, _ db: Database) throws {
        guard let trial = try Trial.fetchOne(db, key: trialID) else {
            throw JobStoreError(.notFound, "there is no trial \(trialID)")
        }
        guard trial.state == .running else {
            throw JobStoreError(.alreadyFinished,
                "trial \(trial.number) of job \(trial.jobID) has already finished as \(trial.state) (\(trial.reason))",
                jobID: trial.jobID)
        }
    }
}
