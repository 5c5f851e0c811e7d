import Foundation
import SpoolCommands
import SpoolTrainerCommands

// Signals a parent ignored stay ignored across exec: a trial must stop on SIGTERM whatever started it.
signal(SIGTERM, SIG_DFL)
signal(SIGINT, SIG_DFL)

SpoolTrainer.ensureEnvironment()
SpoolTrainer.dieWithParent()
CommandMain.run(SpoolTrainer.self)
