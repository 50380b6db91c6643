package config

// The artefacts every deployment has, as in Tremor 0.11: link to them by
// URL without defining them (a definition of the same id replaces one).
//
//	/pipeline/system::metrics/system      every pipeline's `metrics` port
//	                                      feeds it (`#!config metrics_interval_s`)
//	/pipeline/system::passthrough/system  passes events on unchanged
//	/offramp/system::stdout/system        writes JSON lines to stdout
//	/offramp/system::stderr/system        writes JSON lines to stderr

// BuiltinPipelines maps the built-in pipelines' ids to their queries.
var BuiltinPipelines = map[string]string{
	"system::metrics":     "#!config id = \"system::metrics\"\nselect event from in into out;\n",
	"system::passthrough": "#!config id = \"system::passthrough\"\nselect event from in into out;\n",
}

// BuiltinOfframps maps the built-in offramps' ids to their types.
var BuiltinOfframps = map[string]string{
	"system::stdout": "stdout",
	"system::stderr": "stderr",
}

// MetricsPipeline is the id of the pipeline metrics events go to.
const MetricsPipeline = "system::metrics"
