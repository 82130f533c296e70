"""sra's code executor: `serve` (a zygote that forks one sandboxed child per check) or `judge`."""

import json
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
if _here not in sys.path:
    sys.path.insert(0, _here)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    options = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    if mode == "serve":
        import sra_server

        sra_server.serve(options)
    elif mode == "judge":
        import sra_judge

        sra_judge.serve(options)
    else:
        sys.stderr.write("usage: python3 __main__.py serve|judge [options-json]\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
