module github.com/spcloud/spcloud

go 1.26.8

require gopkg.in/yaml.v3 v3.0.1
