// Questions asked only for some answers: a question whose wrapper carries
// data-condition-field="site" data-condition-value="road" is shown only while the question
// "site" is shown and answered "road" (for boxes to tick: while "road" is ticked). Without
// JavaScript every question shows, with a hint saying when to answer it; the server ignores
// the answers to questions whose condition is not met, whatever the browser sent.
(function () {
  "use strict";
  var form = document.querySelector("form[data-conditional]");
  if (!form) return;
  var questions = Array.prototype.slice.call(form.querySelectorAll(".question[data-question]"));
  if (!questions.some(function (q) { return q.dataset.conditionField; })) return;

  function wrapper(name) {
    for (var i = 0; i < questions.length; i += 1) {
      if (questions[i].dataset.question === name) return questions[i];
    }
    return null;
  }

  function answers(name) {
    var inputs = form.querySelectorAll("[name=\"" + name + "\"]");
    var values = [];
    Array.prototype.forEach.call(inputs, function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) values.push(input.value);
      } else if (input.type !== "file") {
        values.push(String(input.value || "").trim());
      }
    });
    return values;
  }

  function update() {
    // In form order: a question depends only on earlier ones, so one pass settles them all.
    questions.forEach(function (question) {
      var on = question.dataset.conditionField;
      if (!on) return;
      var source = wrapper(on);
      var shown = !source || (!source.hidden && answers(on).indexOf(question.dataset.conditionValue) !== -1);
      if (source && !source.hidden && !shown) {
        // A number answered "5.0" still meets a condition written "5".
        var wanted = parseFloat(String(question.dataset.conditionValue).replace(",", "."));
        shown = !isNaN(wanted) && answers(on).some(function (v) {
          return v !== "" && parseFloat(v.replace(",", ".")) === wanted;
        });
      }
      if (question.hidden === !shown) return;
      question.hidden = !shown;
      if (shown) {
        Array.prototype.forEach.call(question.querySelectorAll("[data-tile-url]"), function (map) {
          map.dispatchEvent(new Event("engage:shown"));
        });
      }
    });
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
