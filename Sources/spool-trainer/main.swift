import SpoolTrainerCommands

SpoolTrainer.ensureEnvironment()
SpoolTrainer.main()
