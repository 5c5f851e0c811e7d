import Foundation
import SpoolArguments
import SpoolTrainerCommands

// Signals a parent ignored stay ignored across exec, and signals its thread blocked stay blocked (Foundation's
// Process passes the mask on): a trial must stop on SIGTERM whatever started it.
signal(SIGTERM, SIG_DFL)
signal(SIGINT, SIG_DFL)
var stopSignals = sigset_t()
sigemptyset(&stopSignals)
sigaddset(&stopSignals, SIGTERM)
sigaddset(&stopSignals, SIGINT)
pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)

SpoolTrainer.ensureEnvironment()
SpoolTrainer.dieWithParent()
CommandMain.run(SpoolTrainer.self)
