"""Regenerate the CSV files in this folder from the scikit-learn and statsmodels wheels.

Usage (see README.md for the exact commands and versions):
    python3 make_datasets.py STATSMODELS_UNZIPPED_DIR OUT_DIR

The scikit-learn tables are produced by scikit-learn's own loaders (load_iris, load_wine,
load_breast_cancer, load_digits, load_diabetes), so the numbers are exactly those a Python user
gets; scikit-learn 1.9.1 must be importable (a throw-away virtual environment is enough).
The CO2 tables are converted from statsmodels/datasets/co2/co2.csv with the standard library.
Numbers are written in the shortest form that parses back to the same float64.
"""
import calendar
import csv
import datetime
import sys


def fmt(x):
    x = float(x)
    if x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


def write_table(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow(r)


def sklearn_tables(out):
    import sklearn
    from sklearn import datasets

    assert sklearn.__version__ == "1.9.1", sklearn.__version__

    loaders = {
        "iris": datasets.load_iris,
        "wine": datasets.load_wine,
        "breast_cancer": datasets.load_breast_cancer,
        "digits": datasets.load_digits,
        "diabetes": datasets.load_diabetes,
        "diabetes_raw": lambda: datasets.load_diabetes(scaled=False),
    }
    for name, load in loaders.items():
        b = load()
        header = list(b.feature_names) + ["target"]
        rows = [[fmt(v) for v in x] + [fmt(y)] for x, y in zip(b.data, b.target)]
        write_table(f"{out}/{name}.csv", header, rows)


def decimal_year(d):
    """Year + (day of year - 1 + 0.5) / days in year: the middle of day d."""
    days = 366 if calendar.isleap(d.year) else 365
    return d.year + (d.timetuple().tm_yday - 0.5) / days


def co2_tables(sm_dir, out):
    with open(f"{sm_dir}/statsmodels/datasets/co2/co2.csv") as f:
        rows = list(csv.reader(f))[1:]
    weekly = []
    for date, co2 in rows:
        d = datetime.date(int(date[:4]), int(date[4:6]), int(date[6:]))
        weekly.append((d, co2))
    write_table(f"{out}/co2.csv", ["date", "time", "co2"],
                [[d.isoformat(), repr(round(decimal_year(d), 6)), c] for d, c in weekly])
    months = {}
    for d, c in weekly:
        if c != "":
            months.setdefault((d.year, d.month), []).append(float(c))
    monthly = []
    for (y, m), vals in sorted(months.items()):
        monthly.append([repr(round(y + (m - 0.5) / 12, 6)), repr(round(sum(vals) / len(vals), 6))])
    write_table(f"{out}/co2_monthly.csv", ["time", "co2"], monthly)


if __name__ == "__main__":
    sm_dir, out = sys.argv[1:3]
    sklearn_tables(out)
    co2_tables(sm_dir, out)
