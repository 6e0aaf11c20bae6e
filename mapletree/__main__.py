"""Command line: ``python -m mapletree {conformance,sweep,export} ...``.

Each subcommand lives in its own module and exposes ``main(argv) -> int``.
"""

import importlib
import sys

COMMANDS = {
    "conformance": ("mapletree.conformance", "replay golden cases recorded from Linux 6.12"),
    "sweep": ("mapletree.mm.sweep", "fail a fork design at every point, one row each"),
    "export": ("mapletree.viz.export", "write a self-contained HTML walkthrough"),
}


def usage():
    lines = ["usage: python -m mapletree COMMAND [ARGS...]", "", "commands:"]
    for name, (_, text) in COMMANDS.items():
        lines.append(f"  {name:<12} {text}")
    lines.append("")
    lines.append("Run 'python -m mapletree COMMAND --help' for a command's options.")
    return "\n".join(lines)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"mapletree: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return module.main(rest)


if __name__ == "__main__":
    sys.exit(main())
