import CSpoolSystem
import Foundation
import SpoolArguments
import SpoolCore
import SpoolTraining

/// `spool-trainer train --nproc N`: starts this machine's N processes of a data-parallel run (as torchrun does)
/// and ends with them. Each process is this executable again, told its place by the environment; rank 0 writes
/// the outputs and is the only one printing on standard output. When one process fails or dies, the others are
/// stopped at once (a run never waits on a dead peer) and the launcher exits with the first failure.
struct DataParallelLauncher {
    /// The environment a process of the run finds its place in (set by the launcher, or by a Slurm batch
    /// script from SLURM_PROCID, SLURM_NTASKS and SLURM_LOCALID).
    enum Environment {
        static let rank = "SPOOL_RANK"
        static let worldSize = "SPOOL_WORLD_SIZE"
        static let localRank = "SPOOL_LOCAL_RANK"
        static let rendezvous = "SPOOL_RENDEZVOUS"
        /// Seconds a collective may wait (default 1800: rank 0's evaluation included).
        static let timeout = "SPOOL_DIST_TIMEOUT"
    }

    /// This process's place when it is one process of a data-parallel run, from the environment.
    static func worker(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> (DataParallel, localRank: Int)? {
        guard let rankText = env[Environment.rank] else { return nil }
        guard let rank = Int(rankText), let world = env[Environment.worldSize].flatMap(Int.init), world >= 1, rank >= 0, rank < world else {
            throw CommandError("\(Environment.rank)=\(rankText) and \(Environment.worldSize)=\(env[Environment.worldSize] ?? "") do not name a process of a run: the rank must be in 0..<world size")
        }
        let (host, port) = try parseRendezvous(env[Environment.rendezvous] ?? "", option: Environment.rendezvous)
        var dp = DataParallel(rank: rank, worldSize: world, host: host, port: port)
        if let t = env[Environment.timeout].flatMap(Double.init), t > 0 { dp.timeoutSeconds = t }
        return (dp, env[Environment.localRank].flatMap(Int.init) ?? rank)
    }

    static func parseRendezvous(_ text: String, option: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port),
              colon > text.startIndex else {
            throw CommandError("\(option) '\(text)': expected HOST:PORT, the address of the run's first machine (e.g. node1:29500)")
        }
        return (String(text[..<colon]), port)
    }

    /// A TCP port free on this machine now (the kernel's choice), for a rendezvous on one machine.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CommandError("cannot open a socket to find a free port: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw CommandError("cannot find a free port on 127.0.0.1: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    let processes: Int
    let firstRank: Int
    let worldSize: Int
    let rendezvous: String
    let arguments: [String]

    /// Runs the processes to their end; returns the exit status the launcher should end with.
    func run() throws -> Int32 {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var base = ProcessInfo.processInfo.environment
        base[Environment.worldSize] = String(worldSize)
        base[Environment.rendezvous] = rendezvous
        base["SPOOL_PARENT_PID"] = String(getpid())  // each process dies with its launcher (as a trial with its daemon)
        // The launcher's SIGTERM or SIGINT (a cancelled trial) reaches every process.
        let children = ChildSet()
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let sources = [SIGTERM, SIGINT].map { sig in
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { children.signalAll(SIGTERM) }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }

        for local in 0..<processes {
            var env = base
            env[Environment.rank] = String(firstRank + local)
            env[Environment.localRank] = String(local)
            let pid = try spawn(executable, [executable] + arguments, env)
            children.add(pid, rank: firstRank + local)
        }
        var firstFailure: (rank: Int, status: Int32, text: String)?
        var stoppedWhenAsked = false
        while children.running > 0 {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, 0)
            if pid < 0 {
                if errno == EINTR { continue }
                break
            }
            guard let rank = children.remove(pid) else { continue }
            let signalled = (status & 0x7f) != 0
            let code = signalled ? 128 + (status & 0x7f) : (status >> 8) & 0xff
            // Asked to stop (SIGTERM), the processes stop together at one step, rank 0 with a checkpoint.
            if code == TrialExitCode.stopped { stoppedWhenAsked = true; continue }
            if code != 0, firstFailure == nil {
                let text = signalled ? "was killed by signal \(status & 0x7f)" : "exited with status \(code)"
                firstFailure = (rank, code, text)
                // The others would wait on it in their next collective: stopped now, killed if they linger.
                children.signalAll(SIGTERM)
                let survivors = children
                DispatchQueue.global().asyncAfter(deadline: .now() + 5) { survivors.signalAll(SIGKILL) }
            }
        }
        if let failure = firstFailure {
            printError("error: data-parallel process \(failure.rank) of \(worldSize) \(failure.text); the run was stopped (its other processes ended with it)")
            return failure.status == 0 ? 1 : failure.status
        }
        return stoppedWhenAsked ? TrialExitCode.stopped : 0
    }

    private func spawn(_ path: String, _ argv: [String], _ env: [String: String]) throws -> pid_t {
        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        let rc = posix_spawn(&pid, path, nil, nil, cArgs, cEnv)
        guard rc == 0 else { throw CommandError("cannot start a data-parallel process (\(path)): \(String(cString: strerror(rc)))") }
        return pid
    }
}

/// The launcher's running processes, shared with its signal handlers.
final class ChildSet: @unchecked Sendable {
    private let lock = NSLock()
    private var ranks: [pid_t: Int] = [:]

    func add(_ pid: pid_t, rank: Int) { lock.withLock { ranks[pid] = rank } }
    func remove(_ pid: pid_t) -> Int? { lock.withLock { ranks.removeValue(forKey: pid) } }
    var running: Int { lock.withLock { ranks.count } }
    func signalAll(_ sig: Int32) { lock.withLock { for pid in ranks.keys { kill(pid, sig) } } }
}
