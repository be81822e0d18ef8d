/* Every report chart (templates/backoffice/reports/_frame.html): a line, bar or pie chart drawn with the vendored
   ECharts from the box's data-chart JSON. Money arrives in fen and only its labels become yuan; on a phone the
   axis shows fewer labels and the legend scrolls, so a 375 px screen stays readable. */
(function () {
  if (!window.echarts) { return; }
  var narrow = window.innerWidth < 600;
  var palette = ['#07c160', '#576b95', '#fa9d3b', '#10aeff', '#fa5151', '#95de64', '#b37feb', '#a0a0a0'];

  function yuan(fen) {
    return '¥' + (fen / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function formatter(data) {
    return data.money ? yuan : function (value) { return String(value); };
  }

  function pieOption(data) {
    var first = data.series[0] || { values: [] };
    return {
      tooltip: { trigger: 'item', valueFormatter: formatter(data) },
      legend: { type: 'scroll', bottom: 0, left: 0 },
      series: [{ name: first.name, type: 'pie', radius: narrow ? ['30%', '58%'] : ['35%', '65%'], top: 0, bottom: 28,
                 label: { show: !narrow, formatter: '{b} {d}%' },
                 data: data.x.map(function (label, i) { return { name: label, value: first.values[i] }; }) }]
    };
  }

  function axisOption(data) {
    var show = formatter(data);
    return {
      tooltip: { trigger: 'axis', valueFormatter: show, confine: true },
      legend: { type: 'scroll', top: 0, left: 0, icon: 'roundRect', itemWidth: 12, itemHeight: 12 },
      grid: { left: 4, right: 16, top: 36, bottom: 4, containLabel: true },
      xAxis: { type: 'category', data: data.x, axisTick: { show: false },
               axisLabel: { hideOverlap: true, color: '#646566' }, axisLine: { lineStyle: { color: '#ddd' } } },
      yAxis: { type: 'value', splitNumber: narrow ? 3 : 5, splitLine: { lineStyle: { color: '#f0f0f0' } },
               axisLabel: { hideOverlap: true, formatter: function (v) { return data.money ? yuan(v).replace(/\.00$/, '') : v; } } },
      series: data.series.map(function (line) {
        return { name: line.name, type: data.type === 'bar' ? 'bar' : 'line', data: line.values, smooth: false,
                 stack: data.stack || null, showSymbol: data.x.length < 16, barMaxWidth: 24,
                 emphasis: { focus: 'series' } };
      })
    };
  }

  Array.prototype.forEach.call(document.querySelectorAll('.report-chart'), function (box) {
    var data = JSON.parse(box.getAttribute('data-chart'));
    var chart = window.echarts.init(box, null, { renderer: 'svg' });
    var option = data.type === 'pie' ? pieOption(data) : axisOption(data);
    option.color = palette;
    option.animation = false;
    option.textStyle = { fontFamily: 'inherit' };
    chart.setOption(option);
    box.setAttribute('data-drawn', '1');
    window.addEventListener('resize', function () { chart.resize(); });
  });
})();
