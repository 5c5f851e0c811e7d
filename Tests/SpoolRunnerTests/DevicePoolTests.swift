import Testing
@testable import SpoolRunner

@Suite struct DevicePoolTests {
    @Test func cpuCoresAreDividedAmongConcurrentTrials() {
        let pool = DevicePool.cpu(cores: 8)
        #expect(pool.unitsPerTrial(concurrent: 1) == 8)
        #expect(pool.unitsPerTrial(concurrent: 2) == 4)
        #expect(pool.unitsPerTrial(concurrent: 3) == 2)
        #expect(pool.maxTrials(concurrent: 3) == 3)
        // More trials than cores: one core each, as many as there are cores.
        #expect(pool.unitsPerTrial(concurrent: 20) == 1)
        #expect(pool.maxTrials(concurrent: 20) == 8)
    }

    @Test func gpusAreDividedAmongConcurrentTrials() {
        let pool = DevicePool.gpus(visible: "2, 3")
        #expect(pool.kind == .gpu && pool.units == ["2", "3"])
        #expect(pool.unitsPerTrial(concurrent: 4) == 1)
        #expect(pool.maxTrials(concurrent: 4) == 2)
        // max_concurrent_trials 1 on two GPUs: the trial takes both (and trains data-parallel over them).
        #expect(pool.unitsPerTrial(concurrent: 1) == 2)
        let eight = DevicePool.gpus(visible: "0,1,2,3,4,5,6,7")
        #expect(eight.unitsPerTrial(concurrent: 2) == 4 && eight.maxTrials(concurrent: 2) == 2)
        #expect(eight.unitsPerTrial(concurrent: 3) == 2 && eight.maxTrials(concurrent: 3) == 3)
        // One process per GPU, as many as divide the whole batch.
        #expect(DevicePool.processes(gpus: 4, batchSize: 16) == 4)
        #expect(DevicePool.processes(gpus: 3, batchSize: 16) == 2)
        #expect(DevicePool.processes(gpus: 4, batchSize: 6) == 3)
        #expect(DevicePool.processes(gpus: 1, batchSize: 16) == 1)
        #expect(DevicePool.processes(gpus: 8, batchSize: 1) == 1)
        #expect(DevicePool.gpus(visible: nil).units == ["0"])
        #expect(JobExecutor.defaultPool(device: "cuda:1").units == ["1"])
        #expect(JobExecutor.defaultPool(device: "cuda", environment: ["CUDA_VISIBLE_DEVICES": "0,1,2"]).units.count == 3)
        #expect(JobExecutor.defaultPool(device: "cpu").kind == .cpu)
    }

    /// First in, first out: while an earlier job waits for units, a later one is refused them.
    @Test func anEarlierWaitingJobGoesFirst() {
        let pool = DevicePool.cpu(cores: 2)
        let first = pool.tryAcquire(order: 1, count: 2)
        #expect(first?.count == 2)
        pool.setWaiting(order: 1, true)  // job 1 wants more
        #expect(!pool.hasRoomForAnotherJob)
        pool.release(first!)
        #expect(pool.tryAcquire(order: 2, count: 1) == nil)  // job 2 must wait behind job 1
        let again = pool.tryAcquire(order: 1, count: 1)
        #expect(again == ["core0"])
        pool.setWaiting(order: 1, false)  // job 1 has what it can use
        #expect(pool.hasRoomForAnotherJob)
        #expect(pool.tryAcquire(order: 2, count: 1) == ["core1"])
        #expect(pool.tryAcquire(order: 2, count: 1) == nil)  // nothing left
        #expect(pool.freeCount == 0)
    }
}
