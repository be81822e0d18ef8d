// 微信会员卡: the preview follows the form as the merchant types (title, brand, colour, points, balance, entries).
(function () {
  var form = document.getElementById("wechat-card-form");
  var face = document.getElementById("wxcard-face");
  if (!form || !face) return;
  function text(id, value) { var node = document.getElementById(id); if (node) node.textContent = value; }
  function update() {
    text("wxcard-title", form.elements.title.value);
    text("wxcard-brand", form.elements.brand_name.value);
    face.className = "wxcard wxcard_" + form.elements.color.value;
    document.getElementById("wxcard-bonus").hidden = !form.elements.supply_bonus.checked;
    document.getElementById("wxcard-balance").hidden = !form.elements.supply_balance.checked;
    var list = document.getElementById("wxcard-cells");
    list.textContent = "";
    form.querySelectorAll("input[name=cells]:checked").forEach(function (box) {
      var item = document.createElement("li");
      item.textContent = box.parentNode.textContent.trim();
      list.appendChild(item);
    });
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
})();
