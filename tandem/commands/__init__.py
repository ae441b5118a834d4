"""One module per `tandem` subcommand, each with `register(subcommands)` and a `run(args)` it binds."""
