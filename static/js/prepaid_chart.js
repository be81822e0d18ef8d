/* The prepaid report's chart (templates/backoffice/wallet/prepaid_report.html): what each store's members and gift
   cards hold at the end of the day, principal, bonus and gift cards stacked in one bar, drawn with the vendored
   ECharts. The figures come in fen from the page's data-chart attribute; only the labels are turned into yuan. */
(function () {
  var box = document.getElementById('prepaid-chart');
  if (!box || !window.echarts) { return; }
  var data = JSON.parse(box.getAttribute('data-chart'));

  function yuan(fen) {
    return '¥' + (fen / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  var chart = window.echarts.init(box, null, { renderer: 'svg' });
  chart.setOption({
    color: ['#07c160', '#95de64', '#576b95'],
    animation: false,
    textStyle: { fontFamily: 'inherit' },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: yuan },
    legend: { top: 0, left: 0, icon: 'roundRect', itemWidth: 12, itemHeight: 12 },
    grid: { left: 4, right: 24, top: 36, bottom: 4, containLabel: true },
    // hideOverlap: on a phone the money labels would run into each other; ECharts drops the ones that would.
    xAxis: { type: 'value', splitNumber: window.innerWidth < 600 ? 3 : 5, axisLabel: { hideOverlap: true, formatter: function (fen) { return yuan(fen).replace(/\.00$/, ''); } },
             splitLine: { lineStyle: { color: '#f0f0f0' } } },
    yAxis: { type: 'category', data: data.stores, inverse: true, axisTick: { show: false },
             axisLine: { lineStyle: { color: '#ddd' } }, axisLabel: { color: '#646566', width: 120, overflow: 'truncate' } },
    series: data.series.map(function (line) {
      return { name: line.name, type: 'bar', stack: 'balance', data: line.fen, barMaxWidth: 26,
               emphasis: { focus: 'series' } };
    })
  });
  window.addEventListener('resize', function () { chart.resize(); });
})();
