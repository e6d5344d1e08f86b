"""The builder's commands: `lambdabox build`, `package`, `rebase` and `base`.

One module per command (`build`, `package`, `rebase`, `base`), each with its arguments and
its action, plus what they share: `common` (options, messages, exit handling),
`base_resolution` (`--base`/`--runtime` to a cached base layout) and `watch` (`build
--watch`). Only the entry point (`lambdabox/cli.py`, by module path) imports these modules;
they may import every other builder package.
"""
