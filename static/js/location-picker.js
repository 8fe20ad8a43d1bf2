// The location question: a map where a click (or dragging the marker) fills the latitude and
// longitude boxes, and typing in the boxes moves the marker. The boxes are the form's real
// inputs, so the question works by keyboard and without JavaScript; the map is an extra.
// Without a tile server (data-tile-url empty) the map is a plain background with the
// mission's areas drawn on it.
(function () {
  "use strict";
  var box = document.getElementById("location-map");
  if (!box || typeof L === "undefined") return;
  var data = box.dataset;
  var latitude = document.getElementById(data.latitudeInput);
  var longitude = document.getElementById(data.longitudeInput);
  if (!latitude || !longitude) return;

  box.hidden = false;
  var hint = document.getElementById(data.hint || "");
  if (hint) hint.hidden = false;
  // The page's stylesheet may not size the map; Leaflet needs a height to draw anything.
  if (!box.clientHeight) box.style.height = "22rem";

  var map = L.map(box, { worldCopyJump: true }).setView([20, 0], 2);
  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, { attribution: data.attribution || "", maxZoom: 19 }).addTo(map);
  }

  var areas = [];
  try { areas = JSON.parse(data.areas || "[]"); } catch (error) { areas = []; }
  var bounds = null;
  areas.forEach(function (area) {
    var corners = [[area.south, area.west], [area.north, area.east]];
    // Outlines only (not interactive, so clicks fall through to the map and set the point).
    L.rectangle(corners, { weight: 1, fill: false, interactive: false }).addTo(map);
    bounds = bounds ? bounds.extend(corners) : L.latLngBounds(corners);
  });

  var marker = null;

  // "51,55" as well as "51.55"; null when the text is not a coordinate in range.
  function parse(text, limit) {
    var cleaned = String(text || "").trim().replace(/\s+/g, "");
    if (cleaned.indexOf(",") !== -1 && cleaned.indexOf(".") === -1) cleaned = cleaned.replace(",", ".");
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(cleaned)) return null;
    var value = parseFloat(cleaned);
    return Math.abs(value) <= limit ? value : null;
  }

  function typedPoint() {
    var lat = parse(latitude.value, 90);
    var lon = parse(longitude.value, 180);
    return lat === null || lon === null ? null : L.latLng(lat, lon);
  }

  function place(point) {
    if (marker) {
      marker.setLatLng(point);
    } else {
      marker = L.marker(point, { draggable: true, keyboard: false, title: data.markerTitle || "" }).addTo(map);
      marker.on("dragend", function () { fill(marker.getLatLng()); });
    }
  }

  function fill(point) {
    var wrapped = point.wrap();
    latitude.value = wrapped.lat.toFixed(6);
    longitude.value = wrapped.lng.toFixed(6);
    place(wrapped);
    [latitude, longitude].forEach(function (input) {
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function follow() {
    var point = typedPoint();
    if (point) {
      place(point);
      if (!map.getBounds().contains(point)) map.panTo(point);
    } else if (marker && !latitude.value.trim() && !longitude.value.trim()) {
      map.removeLayer(marker);
      marker = null;
    }
  }

  map.on("click", function (event) { fill(event.latlng); });
  latitude.addEventListener("input", follow);
  longitude.addEventListener("input", follow);

  var start = typedPoint();
  if (start) {
    place(start);
    map.setView(start, 16);
  } else if (bounds) {
    map.fitBounds(bounds, { padding: [16, 16] });
  }
  // The map may have been laid out while a condition hid its question.
  box.addEventListener("engage:shown", function () { map.invalidateSize(); });
})();
