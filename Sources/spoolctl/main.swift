import SpoolArguments
import SpoolCommands

CommandMain.run(Spoolctl.self)
