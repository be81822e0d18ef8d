/* A campaign's daily chart (templates/backoffice/campaigns/_report.html): coupons given and used per day, two lines
   drawn with the vendored ECharts. The figures come from the box's data-chart attribute
   ({days, given, used, names}); the legend sits on top and the labels thin out, so it reads on a phone. */
(function () {
  'use strict';
  var box = document.getElementById('campaign-chart');
  if (!box || !window.echarts) { return; }
  var data = JSON.parse(box.getAttribute('data-chart'));

  var chart = window.echarts.init(box, null, { renderer: 'svg' });
  chart.setOption({
    color: ['#07c160', '#576b95'],
    animation: false,
    textStyle: { fontFamily: 'inherit' },
    tooltip: { trigger: 'axis' },
    legend: { top: 0, left: 0, icon: 'roundRect', itemWidth: 12, itemHeight: 12 },
    grid: { left: 4, right: 16, top: 36, bottom: 4, containLabel: true },
    xAxis: { type: 'category', data: data.days, boundaryGap: false, axisTick: { show: false },
             axisLine: { lineStyle: { color: '#ddd' } },
             axisLabel: { color: '#646566', hideOverlap: true, formatter: function (day) { return day.slice(5); } } },
    yAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { color: '#f0f0f0' } },
             axisLabel: { color: '#646566' } },
    series: [
      { name: data.names[0], type: 'line', data: data.given, symbolSize: 6, showSymbol: data.days.length < 40 },
      { name: data.names[1], type: 'line', data: data.used, symbolSize: 6, showSymbol: data.days.length < 40 }
    ]
  });
  window.addEventListener('resize', function () { chart.resize(); });
}());
