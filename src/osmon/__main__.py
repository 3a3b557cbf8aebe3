from osmon.cli import main

main()
