import SpoolCommands

CommandMain.run(Spoolctl.self)
