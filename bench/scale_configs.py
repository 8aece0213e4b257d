"""bench/scale_configs.py — configs of issue 13's sizes for `make bench`: N rules, or one rule
whose `in` list holds N strings or N integers (written as adjacent strings of 500 items, one
per line, as docs/configuration.md advises: libconfig reads one long literal in quadratic time).

usage: scale_configs.py rules N OUT | strings N OUT | ints N OUT"""
import sys


def rules(n, out):
    with open(out, "w") as f:
        f.write("rules = (\n")
        for i in range(n):
            sep = ",\n" if i < n - 1 else "\n"
            f.write(f'  {{ name = "r{i}"; topic = "t{i % 50}"; '
                    f'where = "diaSource.snr > {i % 1000} and diaSource.filterName == \'g\'"; }}{sep}')
        f.write(");\n")


def in_list(path, items, out):
    pieces = [", ".join(items[k:k + 500]) for k in range(0, len(items), 500)]
    body = '"\n    "'.join(p + ("," if k < len(pieces) - 1 else "") for k, p in enumerate(pieces))
    with open(out, "w") as f:
        f.write(f'rules = ( {{ name = "ids"; topic = "ids"; where = "{path} in ({body})"; }} );\n')


def main():
    kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if kind == "rules":
        rules(n, out)
    elif kind == "strings":
        in_list("diaSource.filterName", [f"'x{i}'" for i in range(n - 1)] + ["'r'"], out)
    elif kind == "ints":
        in_list("diaObject.diaObjectId", [str(1_000_000_000 + 7 * i) for i in range(n)], out)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
