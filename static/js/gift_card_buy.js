/* Buying gift cards (templates/member_h5/gift_cards/shop_buy.html): the total and the number of cards follow the
   quantities picked, and the card's face takes the chosen theme's colour. #total-count's data-text has {n}. */
(function () {
  var form = document.getElementById("gift-buy-form");
  if (!form) { return; }
  var face = document.getElementById("gift-face");
  var countBox = document.getElementById("total-count");
  function yuan(fen) { return "¥" + Math.floor(fen / 100) + "." + ("0" + fen % 100).slice(-2); }
  function update() {
    var fen = 0, count = 0;
    form.querySelectorAll(".h5-shop-line").forEach(function (line) {
      var n = parseInt(line.querySelector("select").value, 10) || 0;
      fen += n * parseInt(line.getAttribute("data-face-value"), 10); count += n;
    });
    document.getElementById("total-amount").textContent = yuan(fen);
    countBox.textContent = countBox.getAttribute("data-text").replace("{n}", count);
    var theme = form.querySelector("input[name=theme]:checked");
    if (theme) { face.style.background = theme.parentNode.getAttribute("data-color"); }
  }
  form.addEventListener("change", update);
  update();
})();
