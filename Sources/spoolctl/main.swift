import SpoolCommands

Spoolctl.main()
