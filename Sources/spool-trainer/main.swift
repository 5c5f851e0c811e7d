import SpoolTrainerCommands

SpoolTrainer.ensureEnvironment()
SpoolTrainer.dieWithParent()
SpoolTrainer.main()
