"""Small shared components."""

from __future__ import annotations

import html
import json
import re

import ipyvuetify
import solara
import traitlets


def prose_html(text: str) -> str:
    """Escape ``text`` and turn ``**bold**`` and ``*italic*`` into HTML (no Markdown engine:
    Solara's Markdown asks for KaTeX, which the offline assets do not hold)."""
    escaped = html.escape(text)
    escaped = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)
    escaped = re.sub(r"\*(.+?)\*", r"<em>\1</em>", escaped)
    return escaped


@solara.component
def Prose(text: str, heading: str | None = None, style: str = "margin: 0 0 8px 0;"):
    if heading:
        solara.HTML(tag="h4", unsafe_innerHTML=html.escape(heading),
                    style="margin: 8px 0 4px 0;")
    solara.HTML(tag="p", unsafe_innerHTML=prose_html(text), style=style)


#: Vue template of :func:`EChart` (kept here, not in a .vue file, so it installs with the code).
ECHART_VUE = r"""
<template>
  <div ref="chart" class="solara-echarts" v-bind="attributes"></div>
</template>
<script>
/* An ECharts chart whose option arrives as one JSON string (option_json): Solara's own
   FigureEcharts takes a nested dict, which the server walks value by value on every update
   (slow for thousands of points). ECharts is loaded from the local Solara CDN (solara-assets),
   so it works offline. */
module.exports = {
  mounted() {
    const version = "5.4.0";
    (async () => {
      const echarts = (
        await this.import([`${this.getCdn()}/echarts@${version}/dist/echarts.js`])
      )[0];
      if (!this.option_json) return;  // a preload (see EChartsPreload): no chart
      this.chart = echarts.init(this.$refs.chart);
      this.update();
      this.resizeObserver = new ResizeObserver(() => this.chart && this.chart.resize());
      this.resizeObserver.observe(this.$refs.chart);
    })();
  },
  beforeDestroy() {
    if (this.resizeObserver) this.resizeObserver.disconnect();
    if (this.chart) this.chart.dispose();
  },
  watch: {
    option_json() {
      this.update();
    },
  },
  methods: {
    update() {
      if (!this.chart || !this.option_json) return;
      const option = JSON.parse(this.option_json);
      (option.series || []).forEach((series) => {
        if (series.firmsimBand) series.renderItem = this.bandItem(series);
      });
      // Keep the user's zoom/roam and legend choices while live data arrives.
      this.chart.setOption(option, {notMerge: false, lazyUpdate: true,
                                    replaceMerge: ["series"]});
    },
    bandItem(series) {
      /* A band (rows [step, low, high]) as one filled polygon per stretch without gaps: the
         high bound left to right, then the low bound back; drawn at the stretch's first row
         (the other rows draw nothing). */
      const rows = series.data;
      const finite = (row) => row[1] !== null && row[2] !== null;
      return (params, api) => {
        const start = params.dataIndex;
        if (!finite(rows[start]) || (start > 0 && finite(rows[start - 1]))) return null;
        let end = start;
        while (end + 1 < rows.length && finite(rows[end + 1])) end += 1;
        const stretch = rows.slice(start, end + 1);
        const points = stretch.map((row) => api.coord([row[0], row[2]])).concat(
          stretch.slice().reverse().map((row) => api.coord([row[0], row[1]])));
        return {type: "polygon", shape: {points: points},
                style: {fill: series.color, opacity: 0.18},
                clipPath: {type: "rect", shape: params.coordSys}};
      };
    },
    import(deps) {
      return this.loadRequire().then(() => {
        if (window.jupyterVue) {
          define("vue", [], () => window.jupyterVue.Vue);
        } else {
          define("vue", ["jupyter-vue"], (jupyterVue) => jupyterVue.Vue);
        }
        return new Promise((resolve, reject) => {
          requirejs(deps, (...modules) => resolve(modules));
        });
      });
    },
    loadRequire() {
      if (window.requirejs) {
        return Promise.resolve();
      }
      return new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = `${this.getCdn()}/requirejs@2.3.6/require.js`;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    },
    getJupyterBaseUrl() {
      if (document.getElementsByTagName("base").length) {
        return "./";
      }
      const labConfigData = document.getElementById("jupyter-config-data");
      if (labConfigData) {
        return JSON.parse(labConfigData.textContent).baseUrl;
      }
      let base = document.body.dataset.baseUrl || document.baseURI;
      if (!base.endsWith("/")) {
        base += "/";
      }
      return base;
    },
    getCdn() {
      return window.solara ? window.solara.cdn : `${this.getJupyterBaseUrl()}_solara/cdn`;
    },
  },
};
</script>
"""


class _EChartWidget(ipyvuetify.VuetifyTemplate):
    template = traitlets.Unicode(ECHART_VUE).tag(sync=True)
    option_json = traitlets.Unicode("").tag(sync=True)
    attributes = traitlets.Dict({}).tag(sync=True)


def EChart(option: dict | str, height: str = "300px", css_class: str = "",
           description: str = ""):
    """An ECharts chart (hover tooltips, PNG button), its option sent as one JSON string
    (``option`` may be that string already: :func:`simulation.ui.charts.chart_json`).

    ``description`` is the chart's text alternative (``role="img"`` with an ``aria-label``).
    """
    attributes = {"style": f"height: {height}; width: 100%;", "class": css_class}
    if description:
        attributes.update({"role": "img", "aria-label": description})
    return _EChartWidget.element(
        option_json=option if isinstance(option, str) else json.dumps(
            option, separators=(",", ":"), allow_nan=False),
        attributes=attributes)


def EChartsPreload():
    """Loads ECharts when the page opens, not when the first chart appears (then it would
    take the server ~0.4 s and the browser ~0.8 s while the first runs compute)."""
    return _EChartWidget.element(option_json="",
                                 attributes={"style": "display: none", "aria-hidden": "true"})


class _LanguageWidget(ipyvuetify.VuetifyTemplate):
    """Sets ``<html lang>`` (Solara's page template has none; screen readers need it)."""

    template = traitlets.Unicode("""
<template><span style="display: none"></span></template>
<script>
module.exports = {
  mounted() { document.documentElement.setAttribute("lang", this.lang); },
};
</script>
""").tag(sync=True)
    lang = traitlets.Unicode("en").tag(sync=True)


def PageLanguage(lang: str = "en"):
    return _LanguageWidget.element(lang=lang)


@solara.component
def Choice(label: str, values: list[str], value: str, on_value, classes: list[str] = ()):
    """One of a few values, as a labelled group of radio buttons (native inputs: named and
    reachable with the keyboard; Vuetify's select nests an input in a button, which screen
    readers cannot use)."""
    with solara.v.RadioGroup(label=label, v_model=value, on_v_model=on_value, row=True,
                             dense=True, hide_details=True, class_=" ".join(classes)):
        for item in values:
            solara.v.Radio(label=str(item), value=item)


@solara.component
def Progress(value: float, label: str = "progress of the runs"):
    """A progress bar with an accessible name."""
    solara.v.ProgressLinear(value=value, color="primary", attributes={"aria-label": label},
                            class_="firmsim-progress")


@solara.component
def Collapsible(title: str, children=[], css_class: str = ""):  # noqa: B006 - Solara style
    """A section that opens and closes with a named button (``aria-expanded`` on the
    button, as the ARIA disclosure pattern asks)."""
    open_, set_open = solara.use_state(False)
    solara.Button(("- " if open_ else "+ ") + title, text=True, on_click=lambda: set_open(
        not open_), attributes={"aria-expanded": "true" if open_ else "false"},
        classes=["firmsim-section-toggle", css_class], style={"text-transform": "none"})
    if open_:
        solara.Column(children=children, style={"padding-left": "12px"})


class _UploadWidget(ipyvuetify.VuetifyTemplate):
    """A native file input (keyboard reachable, named by its label) that sends the chosen
    text file's name and content to the server."""

    template = traitlets.Unicode(r"""
<template>
  <label class="firmsim-upload" style="display: inline-block; padding: 4px 0;">
    {{ label }}
    <input type="file" :accept="accept" @change="read" style="margin-left: 8px;" />
  </label>
</template>
<script>
module.exports = {
  methods: {
    read(event) {
      const file = event.target.files[0];
      if (!file) return;
      file.text().then(text => {
        this.upload = {name: file.name, text: text, at: Date.now()};
        event.target.value = "";
      });
    },
  },
};
</script>
""").tag(sync=True)
    label = traitlets.Unicode("").tag(sync=True)
    accept = traitlets.Unicode("").tag(sync=True)
    upload = traitlets.Dict({}).tag(sync=True)


def TextUpload(label: str, on_upload, accept: str = ".toml,text/plain"):
    """``on_upload(name, text)`` when the user picks a file."""
    def received(value):
        if value and "name" in value:
            on_upload(str(value["name"]), str(value.get("text", "")))
    return _UploadWidget.element(label=label, accept=accept, on_upload=received)
