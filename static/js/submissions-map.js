// The public map of approved observations: fetches map.json page by page (keyset on the id)
// and draws each public point as a circle whose popup links to the observation in the list.
// Without a tile server (data-tile-url empty) the points are drawn on a plain background.
(function () {
  "use strict";
  var box = document.getElementById("submissions-map");
  if (!box || typeof L === "undefined") return;
  var status = document.getElementById("map-status");
  var data = box.dataset;
  var limit = parseInt(data.limit, 10) || 1000;

  // The page's stylesheet may not size the map; Leaflet needs a height to draw anything.
  if (!box.clientHeight) box.style.height = "28rem";

  var map = L.map(box, { preferCanvas: true, worldCopyJump: true }).setView([20, 0], 2);
  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, { attribution: data.attribution || "", maxZoom: 19 }).addTo(map);
  }
  var points = L.featureGroup().addTo(map);
  var colour = getComputedStyle(document.documentElement).getPropertyValue("--brand").trim() || "#1d4f91";
  var count = 0;

  function say(text) {
    if (status) status.textContent = text;
  }

  // Generalised points share their grid cell's centre: one circle per place, listing every
  // observation there (the newest few in the popup; the list view has them all).
  var places = {};
  var shownPerPlace = 5;

  function precision(point) {
    return point.generalised ? data.textGeneralised : data.textExact;
  }

  function entry(point, mixed) {
    var item = document.createElement("li");
    var text = [point.date];
    if (point.area) text.push(point.area);
    if (point.label) text.push(point.label);
    if (mixed) text.push(precision(point));
    item.appendChild(document.createTextNode(text.join(" · ") + " "));
    var link = document.createElement("a");
    link.href = data.listUrl + "?observation=" + encodeURIComponent(point.id) +
      "#observation-" + encodeURIComponent(point.id);
    link.textContent = data.textLink;
    item.appendChild(link);
    return item;
  }

  function popup(place) {
    var content = document.createElement("div");
    var first = place.points[0];
    var mixed = place.points.some(function (point) { return point.generalised !== first.generalised; });
    var heading = document.createElement("p");
    heading.textContent = data.textHere.replace("{count}", place.points.length) +
      (mixed ? "" : " " + precision(first) + ".");
    content.appendChild(heading);
    var list = document.createElement("ul");
    // Newest first, as in the list.
    place.points.slice(-shownPerPlace).reverse().forEach(function (point) {
      list.appendChild(entry(point, mixed));
    });
    content.appendChild(list);
    if (place.points.length > shownPerPlace) {
      var more = document.createElement("p");
      more.textContent = data.textMore.replace("{count}", place.points.length - shownPerPlace);
      content.appendChild(more);
    }
    return content;
  }

  function add(point) {
    var key = point.lat + "," + point.lon;
    var place = places[key];
    if (!place) {
      place = places[key] = { points: [] };
      place.marker = L.circleMarker([point.lat, point.lon], {
        radius: 6,
        color: colour,
        weight: 2,
        fillOpacity: 0.5
      });
      place.marker.bindPopup(function () { return popup(place); }, { maxHeight: 220 });
      place.marker.addTo(points);
    }
    place.points.push(point);
    place.marker.setRadius(Math.min(6 + 2 * Math.sqrt(place.points.length - 1), 20));
    count += 1;
  }

  function finish() {
    if (count) {
      map.fitBounds(points.getBounds(), { padding: [20, 20], maxZoom: 16 });
      say(count === 1 ? data.textLoadedOne : data.textLoaded.replace("{count}", count.toLocaleString()));
    } else {
      say(data.textNone);
    }
  }

  function load(after) {
    var url = data.pointsUrl + "?after=" + encodeURIComponent(after) + "&limit=" + limit;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (page) {
        page.points.forEach(add);
        if (page.next_after !== null && page.next_after !== undefined) {
          load(page.next_after);
        } else {
          finish();
        }
      })
      .catch(function () { say(data.textFailed); });
  }

  say(data.textLoading);
  load(0);
})();
