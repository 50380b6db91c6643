package extractor

// temblor's default grok pattern set.
//
// Written for temblor from the public description of the standard grok
// pattern names (the names, what each matches, and the field names the
// composite patterns capture), not copied from any pattern file. Each
// composite pattern refers to its parts in the standard order, so the
// nameN numbering of clashing aliases (see grok.go) and the nested fields
// (e.g. SYSLOGPROG's program and pid, URIHOST's port) come out as in
// Tremor.
//
// Families included: the base patterns, httpd, linux-syslog, java, redis,
// ruby, rails, mongodb, postgresql, aws, bind, squid, maven, mcollective,
// haproxy. Not included (docs/conformance.md): bacula, bro, exim,
// firewalls, junos, nagios; a pattern file (/etc/tremor/grok.patterns, as
// in Tremor) or an inline %{NAME=regex} definition can add them.

type grokDef struct{ name, def string }

var defaultGrokPatterns = []grokDef{
	// names and numbers
	{"USERNAME", `[a-zA-Z0-9._-]+`},
	{"USER", `%{USERNAME}`},
	{"EMAILLOCALPART", `[a-zA-Z][a-zA-Z0-9_+,./:;<=-]+`},
	{"EMAILADDRESS", `%{EMAILLOCALPART}@%{HOSTNAME}`},
	{"INT", `(?:[+-]?(?:[0-9]+))`},
	{"BASE10NUM", `(?<![0-9.+-])(?>[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+))`},
	{"NUMBER", `(?:%{BASE10NUM})`},
	{"BASE16NUM", `(?<![0-9A-Fa-f])(?:[+-]?(?:0x)?[0-9A-Fa-f]+)`},
	{"BASE16FLOAT", `\b(?<![0-9A-Fa-f.])(?:[+-]?(?:0x)?(?:[0-9A-Fa-f]+(?:\.[0-9A-Fa-f]*)?|\.[0-9A-Fa-f]+))\b`},
	{"POSINT", `\b(?:[1-9][0-9]*)\b`},
	{"NONNEGINT", `\b(?:[0-9]+)\b`},
	{"WORD", `\b\w+\b`},
	{"NOTSPACE", `\S+`},
	{"SPACE", `\s*`},
	{"DATA", `.*?`},
	{"GREEDYDATA", `.*`},
	{"QUOTEDSTRING", `(?>(?<!\\)(?>"(?>\\.|[^\\"]+)+"|""|'(?>\\.|[^\\']+)+'|''|` + "`" + `(?>\\.|[^\\` + "`" + `]+)+` + "`" + `|` + "``" + `))`},
	{"UUID", `[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}`},
	{"URN", `urn:[0-9A-Za-z][0-9A-Za-z-]{0,31}:(?:%[0-9a-fA-F]{2}|[0-9A-Za-z()+,.:=@;$_!*'/?#-])+`},

	// network
	{"MAC", `(?:%{CISCOMAC}|%{WINDOWSMAC}|%{COMMONMAC})`},
	{"CISCOMAC", `(?:(?:[A-Fa-f0-9]{4}\.){2}[A-Fa-f0-9]{4})`},
	{"WINDOWSMAC", `(?:(?:[A-Fa-f0-9]{2}-){5}[A-Fa-f0-9]{2})`},
	{"COMMONMAC", `(?:(?:[A-Fa-f0-9]{2}:){5}[A-Fa-f0-9]{2})`},
	// IPv6 in the forms of RFC 4291 section 2.2 (full, compressed, with an
	// embedded IPv4 address), optionally with a %zone.
	{"IPV6", `(?:` +
		`(?:[0-9A-Fa-f]{1,4}:){7}(?:[0-9A-Fa-f]{1,4}|:)|` +
		`(?:[0-9A-Fa-f]{1,4}:){6}(?::[0-9A-Fa-f]{1,4}|` + ipv4Inline + `|:)|` +
		`(?:[0-9A-Fa-f]{1,4}:){5}(?:(?::[0-9A-Fa-f]{1,4}){1,2}|:` + ipv4Inline + `|:)|` +
		`(?:[0-9A-Fa-f]{1,4}:){4}(?:(?::[0-9A-Fa-f]{1,4}){1,3}|(?::[0-9A-Fa-f]{1,4})?:` + ipv4Inline + `|:)|` +
		`(?:[0-9A-Fa-f]{1,4}:){3}(?:(?::[0-9A-Fa-f]{1,4}){1,4}|(?::[0-9A-Fa-f]{1,4}){0,2}:` + ipv4Inline + `|:)|` +
		`(?:[0-9A-Fa-f]{1,4}:){2}(?:(?::[0-9A-Fa-f]{1,4}){1,5}|(?::[0-9A-Fa-f]{1,4}){0,3}:` + ipv4Inline + `|:)|` +
		`(?:[0-9A-Fa-f]{1,4}:){1}(?:(?::[0-9A-Fa-f]{1,4}){1,6}|(?::[0-9A-Fa-f]{1,4}){0,4}:` + ipv4Inline + `|:)|` +
		`:(?:(?::[0-9A-Fa-f]{1,4}){1,7}|(?::[0-9A-Fa-f]{1,4}){0,5}:` + ipv4Inline + `|:)` +
		`)(?:%.+)?`},
	{"IPV4", `(?<![0-9])` + ipv4Inline + `(?![0-9])`},
	{"IP", `(?:%{IPV6}|%{IPV4})`},
	{"HOSTNAME", `\b(?:[0-9A-Za-z][0-9A-Za-z-]{0,62})(?:\.(?:[0-9A-Za-z][0-9A-Za-z-]{0,62}))*(?:\.?|\b)`},
	{"IPORHOST", `(?:%{IP}|%{HOSTNAME})`},
	{"HOSTPORT", `%{IPORHOST}:%{POSINT}`},

	// paths and URIs
	{"PATH", `(?:%{UNIXPATH}|%{WINPATH})`},
	{"UNIXPATH", `(?:/(?:[\w_%!$@:.,+~-]+|\\.)*)+`},
	{"TTY", `(?:/dev/(?:pts|tty[pq]?)(?:\w+)?/?(?:[0-9]+))`},
	{"WINPATH", `(?>[A-Za-z]+:|\\)(?:\\[^\\?*]*)+`},
	{"URIPROTO", `[A-Za-z](?:[A-Za-z0-9+\-.]+)+`},
	{"URIHOST", `%{IPORHOST}(?::%{POSINT:port})?`},
	{"URIPATH", `(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_\-]*)+`},
	{"URIPARAM", `\?[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\-\[\]<>]*`},
	{"URIPATHPARAM", `%{URIPATH}(?:%{URIPARAM})?`},
	{"URI", `%{URIPROTO}://(?:%{USER}(?::[^@]*)?@)?(?:%{URIHOST})?(?:%{URIPATHPARAM})?`},

	// dates and times
	{"MONTH", `\b(?:[Jj]an(?:uary|uar)?|[Ff]eb(?:ruary|ruar)?|[Mm](?:a|ä)?r(?:ch|z)?|[Aa]pr(?:il)?|[Mm]a(?:y|i)?|[Jj]un(?:e|i)?|[Jj]ul(?:y|i)?|[Aa]ug(?:ust)?|[Ss]ep(?:tember)?|[Oo](?:c|k)?t(?:ober)?|[Nn]ov(?:ember)?|[Dd]e(?:c|z)(?:ember)?)\b`},
	{"MONTHNUM", `(?:0?[1-9]|1[0-2])`},
	{"MONTHNUM2", `(?:0[1-9]|1[0-2])`},
	{"MONTHDAY", `(?:0[1-9]|[12][0-9]|3[01]|[1-9])`},
	{"DAY", `(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)`},
	{"YEAR", `(?>\d\d){1,2}`},
	{"HOUR", `(?:2[0123]|[01]?[0-9])`},
	{"MINUTE", `(?:[0-5][0-9])`},
	{"SECOND", `(?:(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)`},
	{"TIME", `%{HOUR}:%{MINUTE}(?::%{SECOND})(?![0-9])`},
	{"DATE_US", `%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}`},
	{"DATE_EU", `%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}`},
	{"ISO8601_TIMEZONE", `(?:Z|[+-]%{HOUR}(?::?%{MINUTE}))`},
	{"ISO8601_SECOND", `(?:%{SECOND}|60)`},
	{"TIMESTAMP_ISO8601", `%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?`},
	{"DATE", `%{DATE_US}|%{DATE_EU}`},
	{"DATESTAMP", `%{DATE}[- ]%{TIME}`},
	{"TZ", `(?:[APMCE][SD]T|UTC)`},
	{"DATESTAMP_RFC822", `%{DAY} %{MONTH} %{MONTHDAY} %{YEAR} %{TIME} %{TZ}`},
	{"DATESTAMP_RFC2822", `%{DAY}, %{MONTHDAY} %{MONTH} %{YEAR} %{TIME} %{ISO8601_TIMEZONE}`},
	{"DATESTAMP_OTHER", `%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{TZ} %{YEAR}`},
	{"DATESTAMP_EVENTLOG", `%{YEAR}%{MONTHNUM2}%{MONTHDAY}%{HOUR}%{MINUTE}%{SECOND}`},

	// syslog and logs in general
	{"SYSLOGTIMESTAMP", `%{MONTH} +%{MONTHDAY} %{TIME}`},
	{"PROG", `[\x21-\x5a\x5c\x5e-\x7e]+`},
	{"SYSLOGPROG", `%{PROG:program}(?:\[%{POSINT:pid}\])?`},
	{"SYSLOGHOST", `%{IPORHOST}`},
	{"SYSLOGFACILITY", `<%{NONNEGINT:facility}.%{NONNEGINT:priority}>`},
	{"HTTPDATE", `%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}`},
	{"QS", `%{QUOTEDSTRING}`},
	{"SYSLOGBASE", `%{SYSLOGTIMESTAMP:timestamp} (?:%{SYSLOGFACILITY} )?%{SYSLOGHOST:logsource} %{SYSLOGPROG}:`},
	{"LOGLEVEL", `(?:[Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo|INFO|[Ww]arn?(?:ing)?|WARN?(?:ING)?|[Ee]rr?(?:or)?|ERR?(?:OR)?|[Cc]rit?(?:ical)?|CRIT?(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|EMERG(?:ENCY)?|[Ee]merg(?:ency)?)`},

	// httpd
	{"HTTPDUSER", `%{EMAILADDRESS}|%{USER}`},
	{"HTTPDERROR_DATE", `%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{YEAR}`},
	{"HTTPD_COMMONLOG", `%{IPORHOST:clientip} %{HTTPDUSER:ident} %{HTTPDUSER:auth} \[%{HTTPDATE:timestamp}\] "(?:%{WORD:verb} %{NOTSPACE:request}(?: HTTP/%{NUMBER:httpversion})?|%{DATA:rawrequest})" %{NUMBER:response} (?:%{NUMBER:bytes}|-)`},
	{"HTTPD_COMBINEDLOG", `%{HTTPD_COMMONLOG} %{QS:referrer} %{QS:agent}`},
	{"HTTPD20_ERRORLOG", `\[%{HTTPDERROR_DATE:timestamp}\] \[%{LOGLEVEL:loglevel}\] (?:\[client %{IPORHOST:clientip}\] ){0,1}%{GREEDYDATA:message}`},
	{"HTTPD24_ERRORLOG", `\[%{HTTPDERROR_DATE:timestamp}\] \[%{WORD:module}:%{LOGLEVEL:loglevel}\] \[pid %{POSINT:pid}(?::tid %{NUMBER:tid})?\]( \(%{POSINT:proxy_errorcode}\)%{DATA:proxy_message}:)?( \[client %{IPORHOST:clientip}:%{POSINT:clientport}\])?( %{DATA:errorcode}:)? %{GREEDYDATA:message}`},
	{"HTTPD_ERRORLOG", `%{HTTPD20_ERRORLOG}|%{HTTPD24_ERRORLOG}`},
	{"COMMONAPACHELOG", `%{HTTPD_COMMONLOG}`},
	{"COMBINEDAPACHELOG", `%{HTTPD_COMBINEDLOG}`},

	// linux-syslog
	{"SYSLOG5424PRINTASCII", `[!-~]+`},
	{"SYSLOGBASE2", `(?:%{SYSLOGTIMESTAMP:timestamp}|%{TIMESTAMP_ISO8601:timestamp8601}) (?:%{SYSLOGFACILITY} )?%{SYSLOGHOST:logsource}+(?: %{SYSLOGPROG}:|)`},
	{"SYSLOGPAMSESSION", `%{SYSLOGBASE} (?=%{GREEDYDATA:message})%{WORD:pam_module}\(%{DATA:pam_caller}\): session %{WORD:pam_session_state} for user %{USERNAME:username}(?: by %{GREEDYDATA:pam_by})?`},
	{"CRON_ACTION", `[A-Z ]+`},
	{"CRONLOG", `%{SYSLOGBASE} \(%{USER:user}\) %{CRON_ACTION:action} \(%{DATA:message}\)`},
	{"SYSLOGLINE", `%{SYSLOGBASE2} %{GREEDYDATA:message}`},
	{"SYSLOG5424PRI", `<%{NONNEGINT:syslog5424_pri}>`},
	{"SYSLOG5424SD", `\[%{DATA}\]+`},
	{"SYSLOG5424BASE", `%{SYSLOG5424PRI}%{NONNEGINT:syslog5424_ver} +(?:%{TIMESTAMP_ISO8601:syslog5424_ts}|-) +(?:%{IPORHOST:syslog5424_host}|-) +(-|%{SYSLOG5424PRINTASCII:syslog5424_app}) +(-|%{SYSLOG5424PRINTASCII:syslog5424_proc}) +(-|%{SYSLOG5424PRINTASCII:syslog5424_msgid}) +(?:%{SYSLOG5424SD:syslog5424_sd}|-|)`},
	{"SYSLOG5424LINE", `%{SYSLOG5424BASE} +%{GREEDYDATA:syslog5424_msg}`},

	// java
	{"JAVACLASS", `(?:[a-zA-Z$_][a-zA-Z$_0-9]*\.)*[a-zA-Z$_][a-zA-Z$_0-9]*`},
	{"JAVAFILE", `(?:[A-Za-z0-9_. -]+)`},
	{"JAVAMETHOD", `(?:(<init>)|[a-zA-Z$_][a-zA-Z$_0-9]*)`},
	{"JAVASTACKTRACEPART", `%{SPACE}at %{JAVACLASS:class}\.%{JAVAMETHOD:method}\(%{JAVAFILE:file}(?::%{NUMBER:line})?\)`},
	{"JAVATHREAD", `(?:[A-Z]{2}-Processor[\d]+)`},
	{"JAVALOGMESSAGE", `(.*)`},
	{"CATALINA_DATESTAMP", `%{MONTH} %{MONTHDAY}, 20%{YEAR} %{HOUR}:?%{MINUTE}(?::?%{SECOND}) (?:AM|PM)`},
	{"TOMCAT_DATESTAMP", `20%{YEAR}-%{MONTHNUM}-%{MONTHDAY} %{HOUR}:?%{MINUTE}(?::?%{SECOND}) %{ISO8601_TIMEZONE}`},
	{"CATALINALOG", `%{CATALINA_DATESTAMP:timestamp} %{JAVACLASS:class} %{JAVALOGMESSAGE:logmessage}`},
	{"TOMCATLOG", `%{TOMCAT_DATESTAMP:timestamp} \| %{LOGLEVEL:level} \| %{JAVACLASS:class} - %{JAVALOGMESSAGE:logmessage}`},

	// redis
	{"REDISTIMESTAMP", `%{MONTHDAY} %{MONTH} %{TIME}`},
	{"REDISLOG", `\[%{POSINT:pid}\] %{REDISTIMESTAMP:timestamp} \* `},
	{"REDISMONLOG", `%{NUMBER:timestamp} \[%{INT:database} %{IP:client}:%{NUMBER:port}\] "%{WORD:command}"\s?%{GREEDYDATA:params}`},

	// ruby and rails
	{"RUBY_LOGLEVEL", `(?:DEBUG|FATAL|ERROR|WARN|INFO)`},
	{"RUBY_LOGGER", `[DFEWI], \[%{TIMESTAMP_ISO8601:timestamp} #%{POSINT:pid}\] *%{RUBY_LOGLEVEL:loglevel} -- +%{DATA:progname}: %{GREEDYDATA:message}`},
	{"RUUID", `\h{32}`},
	{"RCONTROLLER", `(?<controller>[^#]+)#(?<action>\w+)`},
	{"RAILS3HEAD", `(?m)Started %{WORD:verb} "%{URIPATHPARAM:request}" for %{IPORHOST:clientip} at (?<timestamp>%{YEAR}-%{MONTHNUM}-%{MONTHDAY} %{HOUR}:%{MINUTE}:%{SECOND} %{ISO8601_TIMEZONE})`},
	{"RPROCESSING", `\W*Processing by %{RCONTROLLER} as (?<format>\S+)(?:\W*Parameters: {%{DATA:params}}\W*)?`},
	{"RAILS3FOOT", `Completed %{NUMBER:response}%{DATA} in %{NUMBER:totalms}ms %{RAILS3PROFILE}%{GREEDYDATA}`},
	{"RAILS3PROFILE", `(?:\(Views: %{NUMBER:viewms}ms \| ActiveRecord: %{NUMBER:activerecordms}ms|\(ActiveRecord: %{NUMBER:activerecordms}ms)?`},
	{"RAILS3", `%{RAILS3HEAD}(?:%{RPROCESSING})?(?<context>(?:%{DATA}\n)*)(?:%{RAILS3FOOT})?`},

	// mongodb
	{"MONGO_LOG", `%{SYSLOGTIMESTAMP:timestamp} \[%{WORD:component}\] %{GREEDYDATA:message}`},
	{"MONGO_QUERY", `\{ (?<={ ).*(?= } ntoreturn:) \}`},
	{"MONGO_SLOWQUERY", `%{WORD} %{MONGO_WORDDASH:database}\.%{MONGO_WORDDASH:collection} %{WORD}: %{MONGO_QUERY:query} %{WORD}:%{NONNEGINT:ntoreturn} %{WORD}:%{NONNEGINT:ntoskip} %{WORD}:%{NONNEGINT:nscanned}.*nreturned:%{NONNEGINT:nreturned}..+ (?<duration>[0-9]+)ms`},
	{"MONGO_WORDDASH", `\b[\w-]+\b`},
	{"MONGO3_SEVERITY", `\w`},
	{"MONGO3_COMPONENT", `(?:[A-Z]+|-)`},
	{"MONGO3_LOG", `%{TIMESTAMP_ISO8601:timestamp} %{MONGO3_SEVERITY:severity} %{MONGO3_COMPONENT:component}%{SPACE}(?:\[%{DATA:context}\])? %{GREEDYDATA:message}`},

	// postgresql, bind, squid, maven, mcollective
	{"POSTGRESQL", `%{DATESTAMP:timestamp} %{TZ} %{DATA:user_id} %{GREEDYDATA:connection_id} %{POSINT:pid}`},
	{"BIND9_TIMESTAMP", `%{MONTHDAY}[-]%{MONTH}[-]%{YEAR} %{TIME}`},
	{"BIND9", `%{BIND9_TIMESTAMP:timestamp} queries: %{LOGLEVEL:loglevel}: client %{IP:clientip}#%{POSINT:clientport} \(%{GREEDYDATA:query}\): query: %{GREEDYDATA:query} IN %{GREEDYDATA:querytype} \(%{IP:dns}\)`},
	{"SQUID3", `%{NUMBER:timestamp}\s+%{NUMBER:duration}\s%{IP:client_address}\s%{WORD:cache_result}/%{POSINT:status_code}\s%{NUMBER:bytes}\s%{WORD:request_method}\s%{NOTSPACE:url}\s(%{NOTSPACE:user}|-)\s%{WORD:hierarchy_code}/%{IPORHOST:server}\s%{NOTSPACE:content_type}`},
	{"MAVEN_VERSION", `(?:(\d+)\.)?(?:(\d+)\.)?(\*|\d+)(?:[.-](RELEASE|SNAPSHOT))?`},
	{"MCOLLECTIVE", `., \[%{TIMESTAMP_ISO8601:timestamp} #%{POSINT:pid}\]%{SPACE}%{LOGLEVEL:event_level}`},
	{"MCOLLECTIVEAUDIT", `%{TIMESTAMP_ISO8601:timestamp}:`},

	// aws
	{"S3_REQUEST_LINE", `(?:%{WORD:verb} %{NOTSPACE:request}(?: HTTP/%{NUMBER:httpversion})?|%{DATA:rawrequest})`},
	{"S3_ACCESS_LOG", `%{WORD:owner} %{NOTSPACE:bucket} \[%{HTTPDATE:timestamp}\] %{IP:clientip} %{NOTSPACE:requester} %{NOTSPACE:request_id} %{NOTSPACE:operation} %{NOTSPACE:key} (?:"%{S3_REQUEST_LINE}"|-) (?:%{INT:response:int}|-) (?:-|%{NOTSPACE:error_code}) (?:%{INT:bytes:int}|-) (?:%{INT:object_size:int}|-) (?:%{INT:request_time_ms:int}|-) (?:%{INT:turnaround_time_ms:int}|-) (?:%{QS:referrer}|-) (?:"?%{QS:agent}"?|-) (?:-|%{NOTSPACE:version_id})`},
	{"ELB_URIPATHPARAM", `%{URIPATH:path}(?:%{URIPARAM:params})?`},
	{"ELB_URI", `%{URIPROTO:proto}://(?:%{USER}(?::[^@]*)?@)?(?:%{URIHOST:urihost})?(?:%{ELB_URIPATHPARAM})?`},
	{"ELB_REQUEST_LINE", `(?:%{WORD:verb} %{ELB_URI:request}(?: HTTP/%{NUMBER:httpversion})?|%{DATA:rawrequest})`},
	{"ELB_ACCESS_LOG", `%{TIMESTAMP_ISO8601:timestamp} %{NOTSPACE:elb} %{IP:clientip}:%{INT:clientport:int} (?:(%{IP:backendip}:?:%{INT:backendport:int})|-) %{NUMBER:request_processing_time:float} %{NUMBER:backend_processing_time:float} %{NUMBER:response_processing_time:float} %{INT:response:int} %{INT:backend_response:int} %{INT:received_bytes:int} %{INT:bytes:int} "%{ELB_REQUEST_LINE}"`},
	{"CLOUDFRONT_ACCESS_LOG", `(?<timestamp>%{YEAR}-%{MONTHNUM}-%{MONTHDAY}\t%{TIME})\t%{WORD:x_edge_location}\t(?:%{NUMBER:sc_bytes:int}|-)\t%{IPORHOST:clientip}\t%{WORD:cs_method}\t%{HOSTNAME:cs_host}\t%{NOTSPACE:cs_uri_stem}\t%{NUMBER:sc_status:int}\t%{GREEDYDATA:referrer}\t%{GREEDYDATA:agent}\t%{GREEDYDATA:cs_uri_query}\t%{GREEDYDATA:cookies}\t%{WORD:x_edge_result_type}\t%{NOTSPACE:x_edge_request_id}\t%{HOSTNAME:x_host_header}\t%{URIPROTO:cs_protocol}\t%{INT:cs_bytes:int}\t%{GREEDYDATA:time_taken:float}\t%{GREEDYDATA:x_forwarded_for}\t%{GREEDYDATA:ssl_protocol}\t%{GREEDYDATA:ssl_cipher}\t%{GREEDYDATA:x_edge_response_result_type}`},

	// haproxy
	{"HAPROXYTIME", `(?!<[0-9])%{HOUR:haproxy_hour}:%{MINUTE:haproxy_minute}(?::%{SECOND:haproxy_second})(?![0-9])`},
	{"HAPROXYDATE", `%{MONTHDAY:haproxy_monthday}/%{MONTH:haproxy_month}/%{YEAR:haproxy_year}:%{HAPROXYTIME:haproxy_time}.%{INT:haproxy_milliseconds}`},
	{"HAPROXYCAPTUREDREQUESTHEADERS", `%{DATA:captured_request_headers}`},
	{"HAPROXYCAPTUREDRESPONSEHEADERS", `%{DATA:captured_response_headers}`},
	{"HAPROXYHTTPBASE", `%{IP:client_ip}:%{INT:client_port} \[%{HAPROXYDATE:accept_date}\] %{NOTSPACE:frontend_name} %{NOTSPACE:backend_name}/%{NOTSPACE:server_name} %{INT:time_request}/%{INT:time_queue}/%{INT:time_backend_connect}/%{INT:time_backend_response}/%{NOTSPACE:time_duration} %{INT:http_status_code} %{NOTSPACE:bytes_read} %{DATA:captured_request_cookie} %{DATA:captured_response_cookie} %{NOTSPACE:termination_state} %{INT:actconn}/%{INT:feconn}/%{INT:beconn}/%{INT:srvconn}/%{NOTSPACE:retries} %{INT:srv_queue}/%{INT:backend_queue} (\{%{HAPROXYCAPTUREDREQUESTHEADERS}\})?( )?(\{%{HAPROXYCAPTUREDRESPONSEHEADERS}\})?( )?"(<BADREQ>|(%{WORD:http_verb} (%{URIPROTO:http_proto}://)?(?:%{USER:http_user}(?::[^@]*)?@)?(?:%{URIHOST:http_host})?(?:%{URIPATHPARAM:http_request})?( HTTP/%{NUMBER:http_version})?))?"`},
	{"HAPROXYHTTP", `(?:%{SYSLOGTIMESTAMP:syslog_timestamp}|%{TIMESTAMP_ISO8601:timestamp8601}) %{IPORHOST:syslog_server} %{SYSLOGPROG}: %{HAPROXYHTTPBASE}`},
	{"HAPROXYTCP", `(?:%{SYSLOGTIMESTAMP:syslog_timestamp}|%{TIMESTAMP_ISO8601:timestamp8601}) %{IPORHOST:syslog_server} %{SYSLOGPROG}: %{IP:client_ip}:%{INT:client_port} \[%{HAPROXYDATE:accept_date}\] %{NOTSPACE:frontend_name} %{NOTSPACE:backend_name}/%{NOTSPACE:server_name} %{INT:time_queue}/%{INT:time_backend_connect}/%{NOTSPACE:time_duration} %{NOTSPACE:bytes_read} %{NOTSPACE:termination_state} %{INT:actconn}/%{INT:feconn}/%{INT:beconn}/%{INT:srvconn}/%{NOTSPACE:retries} %{INT:srv_queue}/%{INT:backend_queue}`},
}

// ipv4Inline is a dotted quad of decimal octets 0-255.
const ipv4Inline = `(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)`
