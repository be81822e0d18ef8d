"""Table cells carry their column's name, so a phone can show each row as a card (backoffice/table_cells.py)."""
from backoffice.table_cells import label_cells


def test_does_each_cell_get_its_columns_name_and_key_mark():
    rows = '<tr><td>138</td><td class="bo-num">¥1.00</td><td class="bo-row-actions"><a>编辑</a></td></tr>'
    out = str(label_cells(rows, [("手机号", "bo-key"), ("储值余额", "bo-num bo-key"), ""]))
    assert '<td data-label="手机号" data-key>138</td>' in out
    assert '<td class="bo-num" data-label="储值余额" data-key>¥1.00</td>' in out
    assert '<td class="bo-row-actions" data-label="">' in out


def test_are_spans_nested_tables_and_own_labels_respected():
    rows = ('<tr><td colspan="2">合计</td><td>3</td></tr>'
            '<tr><td><table><tr><td>inner</td></tr></table></td><td data-label="自定">x</td><td>y</td></tr>')
    out = str(label_cells(rows, ["门店", "笔数", "金额"]))
    assert '<td colspan="2" data-label="门店">合计</td><td data-label="金额">3</td>' in out
    assert "<td>inner</td>" in out and '<td data-label="自定">x</td>' in out and '<td data-label="金额">y</td>' in out


def test_is_a_label_escaped():
    assert 'data-label="&lt;b&gt;"' in str(label_cells("<tr><td>1</td></tr>", ["<b>"]))
