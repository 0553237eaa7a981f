"""The model summary as an HTML table, for Jupyter (``Model._repr_html_``): the rows of ``summary()``."""
import html

from nnkern.models.summary import parameter_totals, readable_memory_size, summary_table


def summary_html(model):
    """``<table>`` with summary()'s header and rows, then the parameter totals."""
    header, justify, _, _, rows = summary_table(model)
    escape = html.escape

    def row(cells, tag):
        return "<tr>" + "".join(f'<{tag} style="text-align: {align}">{escape(str(cell))}</{tag}>'
                                for cell, align in zip(cells, justify)) + "</tr>"

    body = "".join(row(cells, "td") for cells in rows)
    totals = "".join(f"<li>{label}: {count:,} ({readable_memory_size(size)})</li>"
                     for label, count, size in parameter_totals(model))
    return (f'<div><b>Model: "{escape(model.name)}"</b><table><thead>{row(header, "th")}</thead>'
            f"<tbody>{body}</tbody></table><ul>{totals}</ul></div>")
