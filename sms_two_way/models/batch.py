from collections import defaultdict


def write_grouped(records, vals_of_id):
    """Write ``{record id: vals}`` with one ``write`` per distinct set of values.

    Records of a batch mostly end with the same values (a state, a date):
    thousands of them then cost a handful of ``write`` calls, each flushed
    as one UPDATE per set of columns, instead of a call per record.
    ``records`` gives the model and environment (context included).
    """
    ids_of_vals = defaultdict(list)
    for record_id, vals in vals_of_id.items():
        ids_of_vals[tuple(sorted(vals.items()))].append(record_id)
    for vals, ids in ids_of_vals.items():
        records.browse(ids).write(dict(vals))
